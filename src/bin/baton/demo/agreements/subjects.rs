//! What the requests under each agreement are about: the customers,
//! suppliers, purchases, people, systems, roles, campaigns and incidents
//! their titles name.

/// What the titles of an agreement's requests are about.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Subjects {
    Customers,
    Suppliers,
    Purchases,
    People,
    Systems,
    Roles,
    Campaigns,
    Incidents,
}

impl Subjects {
    pub fn list(self) -> &'static [&'static str] {
        match self {
            Subjects::Customers => &[
                "Kestrel Foods",
                "Orion Freight",
                "Marigold Clinics",
                "Tidewater Bank",
                "Copperleaf Energy",
                "Juniper Schools",
                "Harbor & Pine Logistics",
                "Bluefin Analytics",
                "Silverline Retail",
                "Redwood Insurance",
                "Lumen Pharma",
                "Atlas Mining",
                "Quarry Hill Hotels",
                "Northgate Telecom",
            ],
            Subjects::Suppliers => &[
                "Stellar Components",
                "Greenway Packaging",
                "Apex Cloud Hosting",
                "Brightline Couriers",
                "Ironbridge Security",
                "Nimbus Office Supplies",
                "Polar Cold Chain",
            ],
            Subjects::Purchases => &[
                "12 rack servers",
                "forklift lease renewal",
                "packaging materials Q-run",
                "spare conveyor belts",
                "SD-WAN routers",
                "safety equipment",
                "cold-storage sensors",
                "barcode scanners",
            ],
            Subjects::People => &[
                "Noah Fischer",
                "Leila Ahmadi",
                "Tom Okafor",
                "Yuki Tanaka",
                "Carla Rossi",
                "Ravi Pillai",
                "Emma Lindqvist",
                "Diego Martins",
            ],
            Subjects::Systems => &[
                "warehouse management system",
                "customer portal",
                "billing platform",
                "EDI gateway",
                "fleet telematics",
            ],
            Subjects::Roles => &[
                "Account Executive, Boston",
                "Sales Development Rep",
                "Solutions Engineer",
                "Regional Sales Manager",
            ],
            Subjects::Campaigns => &[
                "spring webinar series",
                "logistics trade fair",
                "partner newsletter",
                "retail LinkedIn campaign",
                "case-study downloads",
            ],
            Subjects::Incidents => &[
                "portal outage",
                "delayed EDI batch",
                "billing run failure",
                "tracking page errors",
                "login slowness",
            ],
        }
    }
}
