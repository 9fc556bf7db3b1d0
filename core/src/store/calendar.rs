//! French business days: weekends and the eleven national public holidays, computed for any year
//! (the movable ones from Easter), never listed by hand.
//!
//! Alsace-Moselle's two extra holidays (Good Friday, 26 December) are not counted: the store ships
//! from and counts its deadlines by the national calendar.

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// Easter Sunday of a Gregorian year (the anonymous algorithm of Meeus, Jones and Butcher).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32)
        .expect("the algorithm gives a day of March or April")
}

/// The French national public holidays of a year, in date order.
pub fn public_holidays(year: i32) -> [NaiveDate; 11] {
    let fixed = |month, day| NaiveDate::from_ymd_opt(year, month, day).expect("a valid date");
    let easter = easter_sunday(year);
    let after_easter = |days| easter + Days::new(days);
    let mut days = [
        fixed(1, 1),      // Jour de l'an
        after_easter(1),  // Lundi de Pâques
        fixed(5, 1),      // Fête du travail
        fixed(5, 8),      // Victoire 1945
        after_easter(39), // Ascension
        after_easter(50), // Lundi de Pentecôte
        fixed(7, 14),     // Fête nationale
        fixed(8, 15),     // Assomption
        fixed(11, 1),     // Toussaint
        fixed(11, 11),    // Armistice
        fixed(12, 25),    // Noël
    ];
    days.sort();
    days
}

/// Whether a day is a French public holiday.
pub fn is_public_holiday(day: NaiveDate) -> bool {
    public_holidays(day.year()).contains(&day)
}

/// Whether a day is a working day: Monday to Friday, not a public holiday. (The withdrawal period
/// of L221-19 runs to the next "jour ouvrable"; the store counts Saturdays out as well, which
/// only ever lengthens a customer's period.)
pub fn is_business_day(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !is_public_holiday(day)
}

/// The first business day on or after `day`.
pub fn next_business_day(mut day: NaiveDate) -> NaiveDate {
    while !is_business_day(day) {
        day = day
            .succ_opt()
            .expect("dates stay far from the calendar's end");
    }
    day
}

/// The business day `n` business days after `day` (`n = 0`: `day` itself when it is a business
/// day, else the next one).
pub fn add_business_days(day: NaiveDate, n: u32) -> NaiveDate {
    let mut day = next_business_day(day);
    for _ in 0..n {
        day = next_business_day(
            day.succ_opt()
                .expect("dates stay far from the calendar's end"),
        );
    }
    day
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn easter_matches_the_published_dates() {
        for (year, easter) in [
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2026, "2026-04-05"),
            (2027, "2027-03-28"),
            (2038, "2038-04-25"),
            (2285, "2285-03-22"),
        ] {
            assert_eq!(easter_sunday(year), date(easter), "{year}");
        }
    }

    #[test]
    fn the_holidays_of_2026() {
        let expected = [
            "2026-01-01",
            "2026-04-06",
            "2026-05-01",
            "2026-05-08",
            "2026-05-14",
            "2026-05-25",
            "2026-07-14",
            "2026-08-15",
            "2026-11-01",
            "2026-11-11",
            "2026-12-25",
        ];
        assert_eq!(public_holidays(2026), expected.map(date));
    }

    #[test]
    fn business_days_skip_weekends_and_holidays() {
        // Friday 2026-05-01 (Fête du travail) is a holiday; 2026-05-08 too (a Friday).
        assert!(!is_business_day(date("2026-05-01")));
        assert!(!is_business_day(date("2026-05-02")), "a Saturday");
        assert!(is_business_day(date("2026-05-04")));
        assert_eq!(next_business_day(date("2026-05-01")), date("2026-05-04"));
        // From Thursday 2026-05-07: Friday 8 May is a holiday, so 2 business days later is
        // Tuesday 12 May.
        assert_eq!(add_business_days(date("2026-05-07"), 2), date("2026-05-12"));
        // Christmas week 2026: Friday 25 is a holiday.
        assert_eq!(add_business_days(date("2026-12-24"), 1), date("2026-12-28"));
        assert_eq!(add_business_days(date("2026-12-26"), 0), date("2026-12-28"));
    }
}
