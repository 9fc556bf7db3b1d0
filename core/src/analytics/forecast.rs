//! Daily revenue forecasts with prediction intervals, and the backtest that decides whether the
//! model is worth more than the simplest forecast there is.
//!
//! The model is augurs's MSTL: the series is split into a weekly seasonal component (and a
//! yearly one when the shortest training set of the backtest holds two years, so that the model
//! judged is the model used) and a trend plus remainder, which an AutoETS model without
//! seasonality forecasts. The baseline is seasonal naive: each day is the same weekday of the
//! last week. A backtest on the last weeks of history scores both (MASE against the in-sample
//! seasonal-naive error, and WAPE); when the model does not beat the baseline, the answer is the
//! baseline, and it says so. Holidays that move each year (Black Friday, the sales) are not
//! modelled: they fall in the remainder.

use augurs_core::{Fit, Forecast, Predict};
use augurs_ets::AutoETS;
use augurs_ets::trend::AutoETSTrendModel;
use augurs_mstl::MSTLModel;

/// The weekly season, in days.
pub const WEEK: usize = 7;
/// The yearly season, in days.
pub const YEAR: usize = 365;
/// Shortest history a forecast is made from: two weeks to train on after the backtest's folds.
pub const MIN_HISTORY_DAYS: usize = 4 * WEEK;
/// Longest horizon, in days.
pub const MAX_HORIZON_DAYS: usize = 365;
/// Backtest folds (forecast origins), each `BACKTEST_HORIZON` days long, at the end of history.
pub const BACKTEST_FOLDS: usize = 4;
/// Length of one backtest fold, in days.
pub const BACKTEST_HORIZON: usize = 14;

/// Normal quantiles of the two interval levels.
const Z80: f64 = 1.281_551_565_545;
const Z95: f64 = 1.959_963_984_540;

/// Which forecast the answer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// MSTL with weekly seasonality and an AutoETS trend.
    MstlWeekly,
    /// MSTL with weekly and yearly seasonality and an AutoETS trend.
    MstlWeeklyYearly,
    /// The same weekday of the last week.
    SeasonalNaive,
}

impl ModelKind {
    /// The model's name as outputs state it.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::MstlWeekly => "MSTL (hebdomadaire) + AutoETS",
            ModelKind::MstlWeeklyYearly => "MSTL (hebdomadaire, annuelle) + AutoETS",
            ModelKind::SeasonalNaive => "naïf saisonnier (même jour de la semaine précédente)",
        }
    }

    fn periods(self) -> Vec<usize> {
        match self {
            ModelKind::MstlWeekly => vec![WEEK],
            ModelKind::MstlWeeklyYearly => vec![WEEK, YEAR],
            ModelKind::SeasonalNaive => Vec::new(),
        }
    }
}

/// One forecast day: the point forecast and its 80 % and 95 % prediction intervals, never
/// below zero (revenue is not negative).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForecastPoint {
    /// The point forecast.
    pub value: f64,
    /// The 80 % interval.
    pub lower80: f64,
    /// The 80 % interval.
    pub upper80: f64,
    /// The 95 % interval.
    pub lower95: f64,
    /// The 95 % interval.
    pub upper95: f64,
}

/// One model's errors over the backtest's held-out days.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Errors {
    /// Mean absolute scaled error: the mean absolute error over the mean absolute error of
    /// seasonal naive in sample (below 1: better than seasonal naive was on the training days).
    pub mase: f64,
    /// Weighted absolute percentage error: the sum of absolute errors over the sum of actuals.
    pub wape: f64,
    /// Share of held-out days inside the 80 % interval.
    pub coverage80: f64,
}

/// The backtest of both forecasts on the last days of history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backtest {
    /// Forecast origins.
    pub folds: usize,
    /// Days forecast from each origin.
    pub horizon: usize,
    /// The model's errors (`None` when it failed to fit on a fold).
    pub model: Option<Errors>,
    /// Seasonal naive's errors.
    pub seasonal_naive: Errors,
}

/// A forecast of the days after the history.
#[derive(Debug, Clone, PartialEq)]
pub struct RevenueForecast {
    /// The forecast the points come from.
    pub model: ModelKind,
    /// The MSTL variant the backtest judged (the chosen model or the one that lost).
    pub candidate: ModelKind,
    /// Why the answer is seasonal naive, when it is.
    pub fallback_reason: Option<&'static str>,
    /// One point per day after the history.
    pub points: Vec<ForecastPoint>,
    /// How both forecasts did on the last weeks.
    pub backtest: Backtest,
}

/// Why there is no forecast.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ForecastError {
    /// Too little history.
    #[error("{have} days of history, a forecast needs at least {need}")]
    TooShort {
        /// Days of history given.
        have: usize,
        /// Days needed.
        need: usize,
    },
    /// A horizon out of range.
    #[error("the horizon must be between 1 and {MAX_HORIZON_DAYS} days")]
    Horizon,
}

/// Forecasts the `horizon` days after `history` (one value per day, oldest first, no gap).
pub fn forecast(history: &[f64], horizon: usize) -> Result<RevenueForecast, ForecastError> {
    if horizon == 0 || horizon > MAX_HORIZON_DAYS {
        return Err(ForecastError::Horizon);
    }
    if history.len() < MIN_HISTORY_DAYS {
        return Err(ForecastError::TooShort {
            have: history.len(),
            need: MIN_HISTORY_DAYS,
        });
    }
    // As many folds as the history allows, keeping at least MIN_HISTORY_DAYS to train on.
    let folds = ((history.len() - MIN_HISTORY_DAYS) / BACKTEST_HORIZON).min(BACKTEST_FOLDS);
    let shortest_train = history.len() - folds * BACKTEST_HORIZON;
    let candidate = if shortest_train >= 2 * YEAR {
        ModelKind::MstlWeeklyYearly
    } else {
        ModelKind::MstlWeekly
    };
    let backtest = backtest(history, candidate, folds);
    let model_wins = backtest
        .model
        .is_some_and(|model| folds > 0 && model.mase < backtest.seasonal_naive.mase);
    let fitted = if model_wins {
        mstl(history, candidate, horizon)
    } else {
        None
    };
    let (model, fallback_reason, points) = match fitted {
        Some(points) => (candidate, None, points),
        None => {
            let reason = if folds == 0 {
                "historique trop court pour évaluer le modèle"
            } else if backtest.model.is_none() {
                "le modèle n'a pas pu être ajusté"
            } else if model_wins {
                "le modèle n'a pas pu être ajusté sur tout l'historique"
            } else {
                "le modèle ne fait pas mieux que le naïf saisonnier au backtest"
            };
            (
                ModelKind::SeasonalNaive,
                Some(reason),
                seasonal_naive(history, horizon),
            )
        }
    };
    Ok(RevenueForecast {
        model,
        candidate,
        fallback_reason,
        points,
        backtest,
    })
}

/// Seasonal naive: day `h` after the history is the same weekday of the last week; its
/// intervals widen with the number of weeks ahead, from the spread of in-sample week-on-week
/// differences (Hyndman and Athanasopoulos, "Forecasting: principles and practice", 5.5).
pub fn seasonal_naive(history: &[f64], horizon: usize) -> Vec<ForecastPoint> {
    let n = history.len();
    let diffs: Vec<f64> = (WEEK..n).map(|t| history[t] - history[t - WEEK]).collect();
    let sigma = if diffs.is_empty() {
        0.0
    } else {
        (diffs.iter().map(|d| d * d).sum::<f64>() / diffs.len() as f64).sqrt()
    };
    (0..horizon)
        .map(|h| {
            let value = history[n - WEEK + h % WEEK];
            let spread = sigma * ((h / WEEK + 1) as f64).sqrt();
            point(
                value,
                spread * Z80,
                spread * Z80,
                spread * Z95,
                spread * Z95,
            )
        })
        .collect()
}

/// The MSTL forecast, or `None` when augurs cannot fit or predict this series.
fn mstl(history: &[f64], kind: ModelKind, horizon: usize) -> Option<Vec<ForecastPoint>> {
    let trend: AutoETSTrendModel = AutoETS::non_seasonal().into();
    let fitted = MSTLModel::new(kind.periods(), trend).fit(history).ok()?;
    let at80 = fitted.predict(horizon, 0.8).ok()?;
    let at95 = fitted.predict(horizon, 0.95).ok()?;
    let (low80, up80) = bounds(&at80)?;
    let (low95, up95) = bounds(&at95)?;
    let points: Vec<ForecastPoint> = (0..horizon)
        .map(|h| {
            let value = at80.point[h];
            point(
                value,
                value - low80[h],
                up80[h] - value,
                value - low95[h],
                up95[h] - value,
            )
        })
        .collect();
    points
        .iter()
        .all(|p| p.value.is_finite() && p.upper95.is_finite())
        .then_some(points)
}

fn bounds(forecast: &Forecast) -> Option<(&[f64], &[f64])> {
    let intervals = forecast.intervals.as_ref()?;
    Some((&intervals.lower, &intervals.upper))
}

/// A point from its value and the distances to its bounds, clamped at zero.
fn point(value: f64, below80: f64, above80: f64, below95: f64, above95: f64) -> ForecastPoint {
    ForecastPoint {
        value: value.max(0.0),
        lower80: (value - below80).max(0.0),
        upper80: (value + above80).max(0.0),
        lower95: (value - below95).max(0.0),
        upper95: (value + above95).max(0.0),
    }
}

/// Both forecasts from `folds` origins in the last `folds × BACKTEST_HORIZON` days.
fn backtest(history: &[f64], candidate: ModelKind, folds: usize) -> Backtest {
    let mut model = Scores::default();
    let mut naive = Scores::default();
    let mut model_failed = false;
    for fold in (1..=folds).rev() {
        let origin = history.len() - fold * BACKTEST_HORIZON;
        let (train, test) = history.split_at(origin);
        let test = &test[..BACKTEST_HORIZON];
        let scale = naive_scale(train);
        naive.add(&seasonal_naive(train, BACKTEST_HORIZON), test, scale);
        match mstl(train, candidate, BACKTEST_HORIZON) {
            Some(points) => model.add(&points, test, scale),
            None => model_failed = true,
        }
    }
    Backtest {
        folds,
        horizon: BACKTEST_HORIZON,
        model: (!model_failed).then(|| model.errors()),
        seasonal_naive: naive.errors(),
    }
}

/// Mean absolute week-on-week difference in `train`, the denominator of MASE (1 when flat, so
/// that a constant series does not divide by zero).
fn naive_scale(train: &[f64]) -> f64 {
    let diffs: Vec<f64> = (WEEK..train.len())
        .map(|t| (train[t] - train[t - WEEK]).abs())
        .collect();
    let scale = diffs.iter().sum::<f64>() / diffs.len().max(1) as f64;
    if scale > 0.0 { scale } else { 1.0 }
}

#[derive(Default)]
struct Scores {
    scaled_error: f64,
    abs_error: f64,
    actual: f64,
    covered80: usize,
    days: usize,
}

impl Scores {
    fn add(&mut self, points: &[ForecastPoint], actual: &[f64], scale: f64) {
        for (p, &y) in points.iter().zip(actual) {
            let error = (p.value - y).abs();
            self.scaled_error += error / scale;
            self.abs_error += error;
            self.actual += y.abs();
            self.covered80 += usize::from(p.lower80 <= y && y <= p.upper80);
            self.days += 1;
        }
    }

    fn errors(&self) -> Errors {
        let days = self.days.max(1) as f64;
        Errors {
            mase: self.scaled_error / days,
            wape: if self.actual > 0.0 {
                self.abs_error / self.actual
            } else {
                0.0
            },
            coverage80: self.covered80 as f64 / days,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic series: a level growing linearly, a weekly pattern, Gaussian noise
    /// (Box-Muller over a 64-bit LCG, so the test needs no random crate).
    fn series(days: usize, noise: f64, seed: u64) -> Vec<f64> {
        let weekly = [1.15, 1.0, 1.0, 0.95, 0.9, 0.8, 1.2];
        let mut state = seed;
        let mut uniform = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        (0..days)
            .map(|t| {
                let gauss =
                    (-2.0 * uniform().ln()).sqrt() * (2.0 * std::f64::consts::PI * uniform()).cos();
                let level = 2_000.0 + 3.0 * t as f64;
                (level * weekly[t % 7] + noise * gauss).max(0.0)
            })
            .collect()
    }

    #[test]
    fn the_model_beats_seasonal_naive_on_a_seasonal_series_and_its_80_percent_interval_covers_about_80_percent()
     {
        let mut covered = 0;
        let mut held_out = 0;
        for seed in 1..=5 {
            let full = series(420, 150.0, seed);
            let (history, future) = full.split_at(360);
            let answer = forecast(history, future.len()).unwrap();
            assert_eq!(
                answer.model,
                ModelKind::MstlWeekly,
                "seed {seed}: {answer:?}"
            );
            let model = answer.backtest.model.unwrap();
            assert!(
                model.mase < answer.backtest.seasonal_naive.mase,
                "seed {seed}: {:?}",
                answer.backtest
            );
            for (p, &y) in answer.points.iter().zip(future) {
                assert!(p.lower95 <= p.lower80 && p.lower80 <= p.value);
                assert!(p.value <= p.upper80 && p.upper80 <= p.upper95);
                covered += usize::from(p.lower80 <= y && y <= p.upper80);
                held_out += 1;
            }
        }
        let coverage = covered as f64 / held_out as f64;
        assert!(
            (0.65..=0.95).contains(&coverage),
            "80 % intervals covered {coverage:.2} of {held_out} held-out days"
        );
    }

    #[test]
    fn a_series_the_model_cannot_beat_falls_back_to_seasonal_naive_and_says_why() {
        // A pure weekly pattern with no noise: seasonal naive is exact, nothing beats it.
        let history: Vec<f64> = (0..120)
            .map(|t| [5.0, 1.0, 2.0, 3.0, 4.0, 6.0, 9.0][t % 7])
            .collect();
        let answer = forecast(&history, 10).unwrap();
        assert_eq!(answer.model, ModelKind::SeasonalNaive);
        assert!(answer.fallback_reason.is_some());
        assert_eq!(answer.backtest.seasonal_naive.mase, 0.0);
        let values: Vec<f64> = answer.points.iter().map(|p| p.value).collect();
        // Day 120 is 120 % 7 = 1 in the pattern.
        assert_eq!(values, [1.0, 2.0, 3.0, 4.0, 6.0, 9.0, 5.0, 1.0, 2.0, 3.0]);
    }

    #[test]
    fn yearly_seasonality_needs_two_years_in_the_shortest_training_set() {
        let short = series(2 * YEAR, 100.0, 9);
        assert_eq!(
            forecast(&short, 7).unwrap().candidate,
            ModelKind::MstlWeekly
        );
        let long = series(2 * YEAR + BACKTEST_FOLDS * BACKTEST_HORIZON, 100.0, 9);
        assert_eq!(
            forecast(&long, 7).unwrap().candidate,
            ModelKind::MstlWeeklyYearly
        );
    }

    #[test]
    fn short_histories_and_bad_horizons_are_errors() {
        assert!(matches!(
            forecast(&[1.0; 10], 7),
            Err(ForecastError::TooShort { have: 10, .. })
        ));
        assert_eq!(forecast(&[1.0; 60], 0), Err(ForecastError::Horizon));
        assert_eq!(
            forecast(&[1.0; 60], MAX_HORIZON_DAYS + 1),
            Err(ForecastError::Horizon)
        );
    }

    #[test]
    fn seasonal_naive_intervals_widen_each_week() {
        let history = series(60, 100.0, 3);
        let points = seasonal_naive(&history, 15);
        let width = |p: &ForecastPoint| p.upper80 - p.value;
        assert!(width(&points[7]) > width(&points[6]));
        assert!(width(&points[14]) > width(&points[13]));
        assert!((width(&points[0]) - width(&points[6])).abs() < 1e-9);
    }
}
