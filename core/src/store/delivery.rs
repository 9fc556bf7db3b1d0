//! When an order should arrive: the delivery zone of an address, each carrier's transit time per
//! zone (`data/store/shipping.md`; the table is data that configuration can replace), the
//! products' lead times, and French business days ([`super::calendar`]).

use chrono::{Days, NaiveDate};

use super::calendar::{add_business_days, next_business_day};

/// Where a parcel goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Zone {
    /// Mainland France (and Monaco's neighbours: every French postal code but Corsica's and
    /// overseas ones).
    Mainland,
    /// Corsica (postal codes `20…`).
    Corsica,
    /// The overseas departments (postal codes `97…`).
    Overseas,
    /// Belgium.
    Belgium,
    /// Luxembourg.
    Luxembourg,
    /// Switzerland.
    Switzerland,
}

impl Zone {
    /// The zone of a country (ISO 3166 alpha-2) and postal code; `None`: the store does not
    /// deliver there (another country, a French overseas collectivity `98…`).
    pub fn of(country: &str, postal_code: Option<&str>) -> Option<Zone> {
        match country.trim().to_ascii_uppercase().as_str() {
            "FR" => {
                let code = postal_code.map(str::trim).unwrap_or_default();
                Some(if code.starts_with("20") {
                    Zone::Corsica
                } else if code.starts_with("97") {
                    Zone::Overseas
                } else if code.starts_with("98") {
                    return None;
                } else {
                    Zone::Mainland
                })
            }
            "BE" => Some(Zone::Belgium),
            "LU" => Some(Zone::Luxembourg),
            "CH" => Some(Zone::Switzerland),
            _ => None,
        }
    }

    /// The zone's French name.
    pub fn label(self) -> &'static str {
        match self {
            Zone::Mainland => "France métropolitaine",
            Zone::Corsica => "Corse",
            Zone::Overseas => "outre-mer",
            Zone::Belgium => "Belgique",
            Zone::Luxembourg => "Luxembourg",
            Zone::Switzerland => "Suisse",
        }
    }
}

/// Business days in transit, fewest and most, per carrier and zone. In the configuration
/// (`store.transit`), a list of `["Colissimo", "mainland", 2, 3]` rows.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct TransitTable {
    /// `(carrier, zone, fewest, most)`; a carrier is matched case-insensitively.
    pub rows: Vec<(String, Zone, u32, u32)>,
}

impl Default for TransitTable {
    /// The table of `data/store/shipping.md`.
    fn default() -> Self {
        use Zone::*;
        let rows = [
            ("Colissimo", Mainland, 2, 3),
            ("Colissimo", Corsica, 3, 5),
            ("Colissimo", Overseas, 6, 10),
            ("Colissimo", Belgium, 3, 5),
            ("Colissimo", Luxembourg, 3, 5),
            ("Colissimo", Switzerland, 4, 7),
            ("Chronopost", Mainland, 1, 1),
            ("Chronopost", Corsica, 2, 3),
            ("Geodis", Mainland, 5, 8),
            ("Geodis", Corsica, 8, 12),
            ("Geodis", Overseas, 15, 25),
            ("Geodis", Belgium, 6, 10),
            ("Geodis", Luxembourg, 6, 10),
            ("Geodis", Switzerland, 8, 12),
        ];
        TransitTable {
            rows: rows
                .into_iter()
                .map(|(c, z, a, b)| (c.to_owned(), z, a, b))
                .collect(),
        }
    }
}

impl TransitTable {
    /// The transit days of a carrier to a zone.
    pub fn transit(&self, carrier: &str, zone: Zone) -> Option<(u32, u32)> {
        self.rows
            .iter()
            .find(|(c, z, _, _)| *z == zone && c.eq_ignore_ascii_case(carrier.trim()))
            .map(|&(_, _, fewest, most)| (fewest, most))
    }

    /// The slowest transit of any carrier to a zone (an order whose carrier is not chosen yet).
    pub fn slowest(&self, zone: Zone) -> Option<(u32, u32)> {
        self.rows
            .iter()
            .filter(|(_, z, _, _)| *z == zone)
            .map(|&(_, _, fewest, most)| (fewest, most))
            .max_by_key(|&(_, most)| most)
    }
}

/// Where an order is, for its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Ordered (and paid, or not yet) on this day, not shipped.
    Ordered(NaiveDate),
    /// Handed to the carrier on this day.
    Shipped(NaiveDate),
    /// Delivered on this day.
    Delivered(NaiveDate),
}

/// How sure an estimate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confidence {
    /// Delivered, or in transit within the carrier's usual time.
    High,
    /// Not shipped yet, in stock: preparation and transit are usual times.
    Medium,
    /// Made to order, or late against the carrier's usual time.
    Low,
}

impl Confidence {
    /// The confidence as the tools show it.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        }
    }
}

/// A delivery window and how it was computed.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Earliest day.
    pub earliest: NaiveDate,
    /// Latest day.
    pub latest: NaiveDate,
    /// How sure it is.
    pub confidence: Confidence,
    /// The steps of the computation, in French.
    pub basis: Vec<String>,
}

/// Business days from order to handing over an in-stock order (`data/store/shipping.md`).
pub const PREPARATION_DAYS: u32 = 1;

/// The delivery window of an order on `today`. `lead_days`: the longest lead time of its
/// products (calendar days of making before shipping; 0 in stock). `carrier`: the order's, or
/// `None` when not chosen yet (the slowest for the zone is assumed). `None` when no carrier of
/// the table serves the zone.
pub fn estimate(
    progress: Progress,
    lead_days: u32,
    carrier: Option<&str>,
    zone: Zone,
    table: &TransitTable,
    today: NaiveDate,
) -> Option<Estimate> {
    let (handed_over, mut basis, mut confidence) = match progress {
        Progress::Delivered(day) => {
            return Some(Estimate {
                earliest: day,
                latest: day,
                confidence: Confidence::High,
                basis: vec![format!("livrée le {}", day.format("%d/%m/%Y"))],
            });
        }
        Progress::Shipped(day) => (
            day,
            vec![format!("expédiée le {}", day.format("%d/%m/%Y"))],
            Confidence::High,
        ),
        Progress::Ordered(day) => {
            // Made to order: the making starts from the order; then one day of preparation,
            // never before today.
            let made = day + Days::new(u64::from(lead_days));
            let ready = add_business_days(made.max(today), PREPARATION_DAYS);
            let mut basis = vec![format!("commandée le {}", day.format("%d/%m/%Y"))];
            if lead_days > 0 {
                basis.push(format!("{lead_days} jours de fabrication"));
            }
            basis.push(format!(
                "expédition prévue le {} ({PREPARATION_DAYS} jour ouvré de préparation)",
                ready.format("%d/%m/%Y")
            ));
            let confidence = if lead_days > 0 {
                Confidence::Low
            } else {
                Confidence::Medium
            };
            (ready, basis, confidence)
        }
    };
    let (fewest, most) = match carrier {
        Some(c) => table.transit(c, zone).or_else(|| table.slowest(zone))?,
        None => table.slowest(zone)?,
    };
    let transit = format!(
        "{fewest} à {most} jours ouvrés d'acheminement ({}, {})",
        carrier.unwrap_or("transporteur le plus lent de la zone"),
        zone.label()
    );
    basis.push(transit);
    basis.push("jours ouvrés : du lundi au vendredi, hors jours fériés".to_owned());
    let mut earliest = add_business_days(handed_over, fewest);
    let mut latest = add_business_days(handed_over, most);
    if latest < today {
        // Late against the carrier's usual time: from today on, and said so.
        basis.push("en retard sur le délai habituel du transporteur".to_owned());
        confidence = Confidence::Low;
        earliest = next_business_day(today);
        latest = add_business_days(today, most.clamp(1, 5));
    }
    Some(Estimate {
        earliest,
        latest,
        confidence,
        basis,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn zones_from_country_and_postal_code() {
        for (country, code, zone) in [
            ("FR", Some("75011"), Some(Zone::Mainland)),
            ("fr", Some("20000"), Some(Zone::Corsica)),
            ("FR", Some("20290"), Some(Zone::Corsica)),
            ("FR", Some("97400"), Some(Zone::Overseas)),
            ("FR", Some("98800"), None),
            ("FR", None, Some(Zone::Mainland)),
            ("BE", Some("1000"), Some(Zone::Belgium)),
            ("LU", None, Some(Zone::Luxembourg)),
            ("CH", Some("1201"), Some(Zone::Switzerland)),
            ("DE", Some("10115"), None),
        ] {
            assert_eq!(Zone::of(country, code), zone, "{country} {code:?}");
        }
    }

    #[test]
    fn shipped_orders_add_the_carriers_business_days() {
        let table = TransitTable::default();
        // Shipped Thursday 2026-04-30 by Colissimo to Paris: Friday 1 May is a holiday, so 2
        // and 3 business days are Tuesday 5 and Wednesday 6 May.
        let e = estimate(
            Progress::Shipped(date("2026-04-30")),
            0,
            Some("colissimo"),
            Zone::Mainland,
            &table,
            date("2026-04-30"),
        )
        .unwrap();
        assert_eq!(
            (e.earliest, e.latest),
            (date("2026-05-05"), date("2026-05-06"))
        );
        assert_eq!(e.confidence, Confidence::High);
        // The same parcel to Corsica: 3 to 5 business days.
        let corsica = estimate(
            Progress::Shipped(date("2026-04-30")),
            0,
            Some("Colissimo"),
            Zone::Corsica,
            &table,
            date("2026-04-30"),
        )
        .unwrap();
        assert_eq!(
            (corsica.earliest, corsica.latest),
            (date("2026-05-06"), date("2026-05-11")),
            "8 May is a holiday too"
        );
    }

    #[test]
    fn orders_not_shipped_add_making_and_preparation() {
        let table = TransitTable::default();
        // In stock, ordered Monday 2026-03-02: shipped Tuesday 3, Geodis 5 to 8 days.
        let stock = estimate(
            Progress::Ordered(date("2026-03-02")),
            0,
            Some("Geodis"),
            Zone::Mainland,
            &table,
            date("2026-03-02"),
        )
        .unwrap();
        assert_eq!(
            (stock.earliest, stock.latest),
            (date("2026-03-10"), date("2026-03-13"))
        );
        assert_eq!(stock.confidence, Confidence::Medium);
        // A sofa made in 35 days: ready Monday 6 April 2026 (Easter Monday), shipped the next
        // business day after it, Wednesday 8 April.
        let sofa = estimate(
            Progress::Ordered(date("2026-03-02")),
            35,
            None,
            Zone::Mainland,
            &table,
            date("2026-03-02"),
        )
        .unwrap();
        assert_eq!(sofa.confidence, Confidence::Low);
        assert!(
            sofa.basis
                .iter()
                .any(|b| b.contains("35 jours de fabrication"))
        );
        assert_eq!(sofa.earliest, add_business_days(date("2026-04-08"), 5));
    }

    #[test]
    fn delivered_late_and_unserved() {
        let table = TransitTable::default();
        let delivered = estimate(
            Progress::Delivered(date("2026-03-05")),
            0,
            None,
            Zone::Mainland,
            &table,
            date("2026-03-20"),
        )
        .unwrap();
        assert_eq!(delivered.earliest, date("2026-03-05"));
        let late = estimate(
            Progress::Shipped(date("2026-03-02")),
            0,
            Some("Chronopost"),
            Zone::Mainland,
            &table,
            date("2026-03-20"),
        )
        .unwrap();
        assert_eq!(late.confidence, Confidence::Low);
        assert!(late.earliest >= date("2026-03-20"));
        // Chronopost does not serve overseas departments: the slowest carrier there is assumed.
        let overseas = estimate(
            Progress::Shipped(date("2026-03-02")),
            0,
            Some("Chronopost"),
            Zone::Overseas,
            &table,
            date("2026-03-02"),
        )
        .unwrap();
        assert_eq!(overseas.latest, add_business_days(date("2026-03-02"), 25));
    }
}
