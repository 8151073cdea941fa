# Build stage: compile the release binary.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY .cargo ./.cargo
COPY migration ./migration
COPY src ./src
COPY templates ./templates
COPY static ./static
RUN cargo build --release --locked --bin baton

# Runtime stage: the binary, its templates, nothing else.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /app baton
WORKDIR /app
COPY --from=build /src/target/release/baton /usr/local/bin/baton
COPY templates ./templates
USER baton
ENV BATON_ADDRESS=0.0.0.0 BATON_PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8000/readyz || exit 1
ENTRYPOINT ["baton"]
CMD ["serve"]
