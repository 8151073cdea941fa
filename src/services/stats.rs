//! Small statistics shared by figures across the product.

/// The nearest-rank percentile of sorted values: the smallest value with at
/// least `pct` % of the values at or below it (`None` when there are none).
pub fn nearest_rank(sorted: &[i64], pct: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (pct * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// The mean of `count` scores summing to `sum`, two decimals, as average
/// scores are shown; `None` without any.
pub fn mean_score(sum: i64, count: usize) -> Option<f64> {
    (count > 0).then(|| (sum as f64 * 100.0 / count as f64).round() / 100.0)
}

/// Rounded to one decimal, as percentages and averages are shown.
pub fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::nearest_rank;

    #[test]
    fn nearest_rank_picks_the_value_covering_the_percentage() {
        let values = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
        assert_eq!(nearest_rank(&values, 50), Some(50));
        assert_eq!(nearest_rank(&values, 90), Some(90));
        assert_eq!(nearest_rank(&values, 91), Some(100));
        assert_eq!(nearest_rank(&[-120, 0, 60, 180], 50), Some(0));
        assert_eq!(nearest_rank(&[7], 1), Some(7));
        assert_eq!(nearest_rank(&[], 50), None);
    }
}
