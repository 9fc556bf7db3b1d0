//! Whether an order, line by line, can still be returned for a refund, and under which rule
//! (the store's return policy, `data/store/returns.md`, which states the law it applies):
//!
//! - the withdrawal right (Code de la consommation L221-18): 14 days from receipt of the last
//!   parcel, or the store's longer period; counted as L221-19 does (the day of receipt does not
//!   count; a period ending on a Saturday, Sunday or public holiday runs to the next working
//!   day);
//! - its exclusions (L221-28): goods made to the customer's specifications or clearly
//!   personalised (3°), sealed goods unsealed after delivery for hygiene reasons (5°);
//! - the refund includes the standard delivery costs (L221-24);
//! - a defective or damaged item falls under the legal guarantee of conformity (2 years from
//!   delivery, L217-3 and following), not the withdrawal right;
//! - an order not yet shipped is cancelled instead; a cancelled order has nothing to refund.

use chrono::{Datelike, Days, NaiveDate};

use super::calendar::next_business_day;

/// The legal withdrawal period, in days (L221-18).
pub const LEGAL_WITHDRAWAL_DAYS: u32 = 14;
/// The legal guarantee of conformity, in years (L217-3).
pub const CONFORMITY_GUARANTEE_YEARS: i32 = 2;

/// The store's return settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReturnRules {
    /// Days to withdraw after receipt: the law's 14, or the store's longer offer.
    pub withdrawal_days: u32,
}

impl Default for ReturnRules {
    /// VIVR's 30 days (`data/store/returns.md`).
    fn default() -> Self {
        ReturnRules {
            withdrawal_days: 30,
        }
    }
}

/// Where an order is in its life, as far as returns go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Ordered, not shipped yet (`PENDING`, `PAID`, `PROCESSING`).
    NotShipped,
    /// Shipped, not delivered yet.
    Shipped,
    /// Delivered (the last parcel) on this day.
    Delivered(NaiveDate),
    /// Cancelled.
    Cancelled,
}

/// An order line as the rules see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Product id.
    pub product_id: String,
    /// Units.
    pub quantity: u32,
    /// Price paid per unit, in euros.
    pub unit_price: f64,
    /// Made to the customer's specifications or clearly personalised (L221-28 3°).
    pub personalised: bool,
    /// Delivered sealed for hygiene reasons (pillows, duvets...): excluded once unsealed
    /// (L221-28 5°), which only the customer knows, so the answer says so.
    pub hygiene_sealed: bool,
}

/// Why a line or an order can or cannot be refunded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// Within the withdrawal period.
    WithinWithdrawalPeriod,
    /// Eligible unless the seal was opened.
    EligibleIfSealed,
    /// The withdrawal period is over.
    WithdrawalPeriodOver,
    /// Personalised goods: no withdrawal right.
    Personalised,
    /// Not shipped yet: cancel the order instead, refunded in full.
    CancelInstead,
    /// Shipped, not delivered: refuse the parcel or return it once received.
    NotDeliveredYet,
    /// Cancelled: nothing to refund.
    OrderCancelled,
    /// A defect or damage: the legal guarantee of conformity applies.
    ConformityGuarantee,
    /// A defect reported after the guarantee's 2 years.
    GuaranteeOver,
}

impl Code {
    /// The code as the tools show it.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::WithinWithdrawalPeriod => "WITHIN_WITHDRAWAL_PERIOD",
            Code::EligibleIfSealed => "ELIGIBLE_IF_SEALED",
            Code::WithdrawalPeriodOver => "WITHDRAWAL_PERIOD_OVER",
            Code::Personalised => "PERSONALISED_GOODS",
            Code::CancelInstead => "NOT_SHIPPED_CANCEL_INSTEAD",
            Code::NotDeliveredYet => "NOT_DELIVERED_YET",
            Code::OrderCancelled => "ORDER_CANCELLED",
            Code::ConformityGuarantee => "CONFORMITY_GUARANTEE",
            Code::GuaranteeOver => "GUARANTEE_OVER",
        }
    }

    /// The rule applied, in French, with its legal reference.
    pub fn rule(self) -> &'static str {
        match self {
            Code::WithinWithdrawalPeriod => {
                "Droit de rétractation (art. L221-18 et L221-19 du Code de la consommation) : remboursement des articles et des frais de livraison standard (L221-24)."
            }
            Code::EligibleIfSealed => {
                "Article d'hygiène livré scellé : retour possible dans le délai si le film n'a pas été ouvert (art. L221-28 5°)."
            }
            Code::WithdrawalPeriodOver => {
                "Le délai de rétractation est dépassé (art. L221-18 et L221-19)."
            }
            Code::Personalised => {
                "Article personnalisé ou fabriqué selon les spécifications du client : exclu du droit de rétractation (art. L221-28 3°)."
            }
            Code::CancelInstead => {
                "Commande non expédiée : elle s'annule sans frais depuis le compte client, remboursement intégral."
            }
            Code::NotDeliveredYet => {
                "Commande en cours de livraison : refuser le colis, ou le retourner après réception ; le délai court à partir de la réception."
            }
            Code::OrderCancelled => "Commande annulée : il n'y a rien à rembourser.",
            Code::ConformityGuarantee => {
                "Article défectueux ou abîmé : garantie légale de conformité de 2 ans à partir de la livraison (art. L217-3 et suivants) : réparation, remplacement ou remboursement sans frais."
            }
            Code::GuaranteeOver => {
                "La garantie légale de conformité de 2 ans à partir de la livraison est dépassée (art. L217-3)."
            }
        }
    }
}

/// The verdict on one line.
#[derive(Debug, Clone, PartialEq)]
pub struct LineVerdict {
    /// Product id.
    pub product_id: String,
    /// Whether the line can be returned and refunded.
    pub eligible: bool,
    /// Why.
    pub code: Code,
}

/// The verdict on an order.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Whether any line can be returned and refunded (or the order cancelled for a refund).
    pub eligible: bool,
    /// The rule that decides for the order as a whole.
    pub code: Code,
    /// The last day of the withdrawal period, when the order was delivered.
    pub deadline: Option<NaiveDate>,
    /// Per line.
    pub lines: Vec<LineVerdict>,
    /// What a return of every eligible line refunds, delivery costs included when every line
    /// is eligible (they are refunded when the whole order comes back), in euros.
    pub refund: f64,
}

/// The last day to withdraw for goods received on `received` (L221-19).
pub fn withdrawal_deadline(received: NaiveDate, days: u32) -> NaiveDate {
    next_business_day(received + Days::new(u64::from(days)))
}

/// Whether a customer's reason reports a defect or damage (the guarantee's route, not the
/// withdrawal right's): "le pied est cassé", "arrivé abîmé", "ne fonctionne pas"...
pub fn reports_defect(reason: &str) -> bool {
    const DEFECT: [&str; 14] = [
        "abim",
        "cass",
        "defectu",
        "defaut",
        "endommag",
        "rayure",
        "raye",
        "fissur",
        "dechir",
        "panne",
        "fonctionn",
        "marche",
        "conform",
        "bris",
    ];
    crate::text::words(reason)
        .iter()
        .any(|w| DEFECT.iter().any(|stem| w.exact.starts_with(stem)))
}

/// Whether a product, by its name, is one of the goods delivered sealed for hygiene reasons
/// (`data/store/returns.md`: pillows, duvets, mattress protectors and toppers): its first word
/// names its type.
pub fn hygiene_sealed(product_name: &str) -> bool {
    const SEALED: [&str; 4] = ["oreiller", "couette", "protege", "surmatelas"];
    crate::text::words(product_name)
        .first()
        .is_some_and(|w| SEALED.iter().any(|s| w.exact.starts_with(s)))
}

/// Whether `order`'s lines can be returned for a refund on `today`.
pub fn check(
    stage: Stage,
    lines: &[Line],
    delivery_cost: f64,
    reason: Option<&str>,
    today: NaiveDate,
    rules: &ReturnRules,
) -> Verdict {
    let whole = |code: Code, eligible: bool, deadline: Option<NaiveDate>| Verdict {
        eligible,
        code,
        deadline,
        lines: lines
            .iter()
            .map(|l| LineVerdict {
                product_id: l.product_id.clone(),
                eligible,
                code,
            })
            .collect(),
        refund: if eligible {
            total(lines) + delivery_cost
        } else {
            0.0
        },
    };
    let received = match stage {
        Stage::Cancelled => return whole(Code::OrderCancelled, false, None),
        Stage::NotShipped => return whole(Code::CancelInstead, true, None),
        Stage::Shipped => return whole(Code::NotDeliveredYet, true, None),
        Stage::Delivered(day) => day,
    };
    if reason.is_some_and(reports_defect) {
        let guarantee_ends = add_years(received, CONFORMITY_GUARANTEE_YEARS);
        return if today <= guarantee_ends {
            whole(Code::ConformityGuarantee, true, None)
        } else {
            whole(Code::GuaranteeOver, false, None)
        };
    }
    let days = rules.withdrawal_days.max(LEGAL_WITHDRAWAL_DAYS);
    let deadline = withdrawal_deadline(received, days);
    if today > deadline {
        return whole(Code::WithdrawalPeriodOver, false, Some(deadline));
    }
    let verdicts: Vec<LineVerdict> = lines
        .iter()
        .map(|l| {
            let (eligible, code) = if l.personalised {
                (false, Code::Personalised)
            } else if l.hygiene_sealed {
                (true, Code::EligibleIfSealed)
            } else {
                (true, Code::WithinWithdrawalPeriod)
            };
            LineVerdict {
                product_id: l.product_id.clone(),
                eligible,
                code,
            }
        })
        .collect();
    let returnable: Vec<&Line> = lines
        .iter()
        .zip(&verdicts)
        .filter(|(_, v)| v.eligible)
        .map(|(l, _)| l)
        .collect();
    let everything = returnable.len() == lines.len();
    let refund = returnable
        .iter()
        .map(|l| l.unit_price * f64::from(l.quantity))
        .sum::<f64>()
        + if everything { delivery_cost } else { 0.0 };
    let eligible = !returnable.is_empty();
    Verdict {
        eligible,
        code: if eligible {
            Code::WithinWithdrawalPeriod
        } else {
            Code::Personalised
        },
        deadline: Some(deadline),
        lines: verdicts,
        refund: round_cents(refund),
    }
}

fn total(lines: &[Line]) -> f64 {
    round_cents(
        lines
            .iter()
            .map(|l| l.unit_price * f64::from(l.quantity))
            .sum(),
    )
}

fn round_cents(euros: f64) -> f64 {
    (euros * 100.0).round() / 100.0
}

/// The same day `years` later (29 February becomes 28 February).
fn add_years(day: NaiveDate, years: i32) -> NaiveDate {
    day.with_year(day.year() + years)
        .or_else(|| NaiveDate::from_ymd_opt(day.year() + years, day.month(), 28))
        .expect("a valid date")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn line(id: &str, price: f64, personalised: bool, hygiene_sealed: bool) -> Line {
        Line {
            product_id: id.to_owned(),
            quantity: 1,
            unit_price: price,
            personalised,
            hygiene_sealed,
        }
    }

    const LEGAL: ReturnRules = ReturnRules {
        withdrawal_days: LEGAL_WITHDRAWAL_DAYS,
    };

    #[test]
    fn the_withdrawal_deadline_is_counted_as_l221_19_says() {
        for (received, days, deadline, why) in [
            // Monday 2 March 2026: day 1 is Tuesday 3, day 14 is Monday 16.
            ("2026-03-02", 14, "2026-03-16", "a weekday"),
            // Saturday 7 March: day 14 is Saturday 21, extended to Monday 23.
            ("2026-03-07", 14, "2026-03-23", "delivered on a Saturday"),
            // Day 14 on Easter Monday 2026 (6 April) runs to Tuesday 7.
            ("2026-03-23", 14, "2026-04-07", "ending on Easter Monday"),
            // Day 14 on Friday 1 May 2026 (a holiday): to Monday 4 May.
            (
                "2026-04-17",
                14,
                "2026-05-04",
                "ending on a holiday before a weekend",
            ),
            // The store's 30 days: 2 March + 30 = Wednesday 1 April.
            ("2026-03-02", 30, "2026-04-01", "the store's longer period"),
        ] {
            assert_eq!(
                withdrawal_deadline(date(received), days),
                date(deadline),
                "{why}"
            );
        }
    }

    #[test]
    fn day_14_is_in_day_15_is_out() {
        let lines = [line("p1", 100.0, false, false)];
        let check_on = |today: &str| {
            check(
                Stage::Delivered(date("2026-03-02")),
                &lines,
                5.9,
                None,
                date(today),
                &LEGAL,
            )
        };
        let day_14 = check_on("2026-03-16");
        assert!(day_14.eligible);
        assert_eq!(day_14.code, Code::WithinWithdrawalPeriod);
        assert_eq!(day_14.refund, 105.9, "delivery costs included (L221-24)");
        let day_15 = check_on("2026-03-17");
        assert!(!day_15.eligible);
        assert_eq!(day_15.code, Code::WithdrawalPeriodOver);
        assert_eq!(day_15.deadline, Some(date("2026-03-16")));
        assert_eq!(day_15.refund, 0.0);
    }

    #[test]
    fn lines_are_judged_one_by_one() {
        let lines = [
            line("sofa", 900.0, false, false),
            line("custom-table", 400.0, true, false),
            line("pillow", 40.0, false, true),
        ];
        let verdict = check(
            Stage::Delivered(date("2026-03-02")),
            &lines,
            49.0,
            None,
            date("2026-03-10"),
            &ReturnRules::default(),
        );
        assert!(verdict.eligible);
        let codes: Vec<Code> = verdict.lines.iter().map(|l| l.code).collect();
        assert_eq!(
            codes,
            [
                Code::WithinWithdrawalPeriod,
                Code::Personalised,
                Code::EligibleIfSealed
            ]
        );
        assert!(!verdict.lines[1].eligible);
        assert_eq!(
            verdict.refund, 940.0,
            "a partial return keeps the delivery costs"
        );

        let only_personalised = check(
            Stage::Delivered(date("2026-03-02")),
            &lines[1..2],
            49.0,
            None,
            date("2026-03-10"),
            &ReturnRules::default(),
        );
        assert!(!only_personalised.eligible);
        assert_eq!(only_personalised.code, Code::Personalised);
    }

    #[test]
    fn the_order_stage_and_the_reason_pick_the_route() {
        let lines = [line("lamp", 80.0, false, false)];
        let on = |stage, reason, today: &str| {
            check(
                stage,
                &lines,
                5.9,
                reason,
                date(today),
                &ReturnRules::default(),
            )
        };
        let cancelled = on(Stage::Cancelled, None, "2026-03-10");
        assert!(!cancelled.eligible);
        assert_eq!(cancelled.code, Code::OrderCancelled);
        let pending = on(Stage::NotShipped, None, "2026-03-10");
        assert_eq!(
            (pending.eligible, pending.code),
            (true, Code::CancelInstead)
        );
        let shipped = on(Stage::Shipped, None, "2026-03-10");
        assert_eq!(shipped.code, Code::NotDeliveredYet);

        // A broken lamp, months after the withdrawal period: the guarantee of conformity.
        let delivered = Stage::Delivered(date("2025-06-02"));
        let broken = on(delivered, Some("Le pied est cassé"), "2026-03-10");
        assert_eq!(
            (broken.eligible, broken.code),
            (true, Code::ConformityGuarantee)
        );
        let late = on(delivered, Some("arrivée abîmée"), "2027-06-03");
        assert_eq!((late.eligible, late.code), (false, Code::GuaranteeOver));
        let changed_mind = on(delivered, Some("la couleur ne me plaît pas"), "2026-03-10");
        assert_eq!(changed_mind.code, Code::WithdrawalPeriodOver);
    }

    #[test]
    fn defects_are_recognised_in_the_customers_words() {
        for reason in [
            "Le pied est cassé",
            "arrivé ABIMÉ",
            "la lampe ne fonctionne pas",
            "produit défectueux",
            "une rayure sur le plateau",
            "pas conforme à la photo",
        ] {
            assert!(reports_defect(reason), "{reason}");
        }
        for reason in ["je n'en veux plus", "trop grand pour le salon", "couleur"] {
            assert!(!reports_defect(reason), "{reason}");
        }
    }
}
