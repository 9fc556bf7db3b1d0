//! The analytics MCP server (staff tokens with `analytics:read`) through the router: sums and
//! counts against SQL on hand-built fixtures, rankings, stock, forecasts, and who may read them.

mod common;

use std::path::Path;

use axum::http::StatusCode;
use chrono::Datelike;
use common::store::{Fixture, connect, customer, fixture, staff};
use serde_json::{Value, json};

fn config() -> vivr_search::config::Config {
    common::store::auth_config()
}

/// A dozen orders whose sales can be read by hand: around Paris midnights, in every status.
fn sales_export(dir: &Path) -> std::path::PathBuf {
    let export = common::copy_fixture("mini", dir);
    let order = |id: &str, user: &str, status: &str, at: &str, total: f64, quantities: &[u32]| {
        let items: Vec<Value> = quantities
            .iter()
            .map(|q| json!({"productId": "p01", "quantity": q, "price": 1.0}))
            .collect();
        json!({"id": id, "orderNumber": format!("ORD-SALE{:0>4}", &id[1..]), "userId": user,
               "email": format!("{user}@example.fr"), "status": status, "total": total,
               "createdAt": at, "updatedAt": at, "items": items})
        .to_string()
    };
    // Customers' first orders (paid or later): alice 10 Oct, bob 20 Oct, carol 31 Oct, dan
    // 3 Nov, fay 15 Nov; erin never paid.
    let lines = [
        order("o1", "bob", "PAID", "2026-11-02T10:00:00Z", 100.0, &[2]),
        order("o2", "dan", "DELIVERED", "2026-11-02T23:30:00Z", 50.0, &[1]), // Paris: 3 November
        order("o3", "erin", "PENDING", "2026-11-03T10:00:00Z", 999.0, &[1]),
        order(
            "o4",
            "erin",
            "CANCELLED",
            "2026-11-04T10:00:00Z",
            500.0,
            &[1],
        ),
        order("o5", "carol", "SHIPPED", "2026-11-09T08:00:00Z", 80.0, &[3]),
        order(
            "o6",
            "fay",
            "PROCESSING",
            "2026-11-15T12:00:00Z",
            20.0,
            &[1],
        ),
        order(
            "o7",
            "carol",
            "DELIVERED",
            "2026-10-31T22:59:00Z",
            40.0,
            &[1],
        ), // Paris: 31 October
        order(
            "o8",
            "alice",
            "DELIVERED",
            "2026-10-31T23:00:00Z",
            60.0,
            &[2],
        ), // Paris: 1 November
        order("o9", "bob", "DELIVERED", "2026-10-20T10:00:00Z", 30.0, &[1]),
        order(
            "o10",
            "alice",
            "DELIVERED",
            "2026-10-10T10:00:00Z",
            1000.0,
            &[1],
        ),
        order("o11", "alice", "PAID", "2026-11-15T23:30:00Z", 7.0, &[1]), // Paris: 16 November
        order(
            "o12",
            "dan",
            "SHIPPED",
            "2026-11-10T12:00:00+01:00",
            25.0,
            &[2, 3],
        ),
    ];
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    common::write(&export, "orders.ndjson", &refs);
    common::write(
        &export,
        "carts.ndjson",
        &[
            r#"{"id": "c1", "userId": "bob", "items": [{"productId": "p01", "quantity": 2, "price": 1.0}], "createdAt": "2026-11-02T09:30:00Z", "updatedAt": "2026-11-02T10:00:00Z", "orderId": "o1"}"#,
            r#"{"id": "c2", "items": [{"productId": "p01", "quantity": 1, "price": 899.0}, {"productId": "p02", "quantity": 1, "price": 10.0}], "createdAt": "2026-11-05T10:00:00Z", "updatedAt": "2026-11-05T10:30:00Z"}"#,
            r#"{"id": "c3", "userId": "carol", "items": [{"productId": "p02", "quantity": 2, "price": 10.0}], "createdAt": "2026-11-10T10:00:00Z", "updatedAt": "2026-11-10T10:05:00Z"}"#,
            r#"{"id": "c4", "items": [{"productId": "p03", "quantity": 1, "price": 59.0}], "createdAt": "2026-11-20T08:00:00Z", "updatedAt": "2026-11-20T10:00:00Z"}"#,
            r#"{"id": "c5", "items": [{"productId": "p03", "quantity": 1, "price": 59.0}], "createdAt": "2026-10-01T08:00:00Z", "updatedAt": "2026-10-01T08:00:00Z"}"#,
        ],
    );
    export
}

/// The sales fixture's app with today pinned.
fn sales_fixture(today: &str) -> (Fixture, axum::Router) {
    let dir = tempfile::tempdir().unwrap();
    let export = sales_export(dir.path());
    let f = Fixture {
        built: common::build_export(dir, &export, None),
        state_dir: tempfile::tempdir().unwrap(),
    };
    let mut config = config();
    config.store.today = Some(chrono::NaiveDate::parse_from_str(today, "%Y-%m-%d").unwrap());
    let app = f.app(&config);
    (f, app)
}

#[tokio::test]
async fn the_sales_summary_adds_up_as_sql_does_and_staff_only_read_it() {
    let dir = tempfile::tempdir().unwrap();
    let export = sales_export(dir.path());
    let f = Fixture {
        built: common::build_export(dir, &export, None),
        state_dir: tempfile::tempdir().unwrap(),
    };
    let app = f.app(&config());
    let args = json!({"startDate": "2026-11-01", "endDate": "2026-11-15", "granularity": "week"});
    let staff = connect(&app, "/mcp/analytics", Some(staff())).await;
    let s = staff.ok("get_sales_summary", args.clone()).await;
    assert_eq!(s["timeZone"], "Europe/Paris");
    // Read by hand: o8, o1, o2, o5, o12, o6 (paid or later, Paris days 1 to 15 November).
    assert_eq!(
        s["total"],
        json!({"revenue": 335.0, "orders": 6, "units": 14, "averageBasket": 55.83})
    );
    // The same in SQL, on the UTC bounds of those Paris days.
    let conn = rusqlite::Connection::open(f.built.db()).unwrap();
    let (revenue, orders): (f64, i64) = conn
        .query_row(
            "SELECT sum(total), count(*) FROM orders WHERE status IN ('PAID','PROCESSING','SHIPPED','DELIVERED')
               AND julianday(created_at) >= julianday('2026-10-31T23:00:00Z')
               AND julianday(created_at) < julianday('2026-11-15T23:00:00Z')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (
            s["total"]["revenue"].as_f64().unwrap(),
            s["total"]["orders"].as_i64().unwrap()
        ),
        (revenue, orders)
    );
    let periods: Vec<(String, f64, u64)> = s["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["start"].as_str().unwrap().to_owned(),
                p["revenue"].as_f64().unwrap(),
                p["units"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        periods,
        [
            ("2026-11-01".to_owned(), 60.0, 2),
            ("2026-11-02".to_owned(), 150.0, 3),
            ("2026-11-09".to_owned(), 125.0, 9)
        ]
    );
    // The previous 15 days: o7 and o9.
    assert_eq!(s["previous"]["revenue"], 70.0);
    assert_eq!(s["change"]["revenuePct"], 378.6);
    assert!(s["summary"].as_str().unwrap().contains("335\u{202f}€"));
    let days = staff
        .ok(
            "get_sales_summary",
            json!({"startDate": "2026-11-02", "endDate": "2026-11-03", "granularity": "day"}),
        )
        .await;
    assert_eq!(days["periods"].as_array().unwrap().len(), 2);
    assert_eq!(
        days["periods"][1]["revenue"], 50.0,
        "23:30 UTC on the 2nd is the 3rd in Paris"
    );
    // Argument errors say what to fix.
    for (bad, needle) in [
        (
            json!({"startDate": "2026-11-01", "endDate": "2026-11-15", "granularity": "hour"}),
            "granularity",
        ),
        (
            json!({"startDate": "01/11/2026", "endDate": "2026-11-15", "granularity": "day"}),
            "startDate",
        ),
        (
            json!({"startDate": "2026-11-15", "endDate": "2026-11-01", "granularity": "day"}),
            "before",
        ),
        (
            json!({"startDate": "2020-01-01", "endDate": "2026-11-01", "granularity": "day"}),
            "split",
        ),
    ] {
        assert!(staff.error("get_sales_summary", bad).await.contains(needle));
    }
    // Anonymous callers and customers are refused; no e-mail or order number in the answer.
    assert!(!s.to_string().contains("alice") && !s.to_string().contains("ORD-"));
    let anonymous = connect(&app, "/mcp/analytics", None).await;
    assert!(anonymous.tools().await.is_empty());
    let (status, _) = anonymous
        .raw(
            "tools/call",
            json!({"name": "get_sales_summary", "arguments": args.clone()}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let alice = connect(&app, "/mcp/analytics", Some(customer("alice"))).await;
    let (status, _) = alice
        .raw(
            "tools/call",
            json!({"name": "get_sales_summary", "arguments": args}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn top_products_rank_by_revenue_and_units_with_their_trend() {
    let f = fixture();
    let app = f.app(&config());
    let staff = connect(&app, "/mcp/analytics", Some(staff())).await;
    let rank = |list: &Value| -> Vec<(String, f64, u64)> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["productId"].as_str().unwrap().to_owned(),
                    p["revenue"].as_f64().unwrap(),
                    p["units"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    // The last 30 days: only the order placed yesterday (the sofa and the poster), against the
    // same two products 40 days ago.
    let month = staff
        .ok("get_top_products", json!({"period": "month"}))
        .await;
    assert_eq!(month["timeZone"], "Europe/Paris");
    assert_eq!(
        rank(&month["byRevenue"]),
        [("p01".to_owned(), 899.0, 1), ("p90".to_owned(), 39.0, 1)]
    );
    assert_eq!(
        month["byRevenue"][0]["name"],
        "Canapé d'angle Oslo en velours"
    );
    assert_eq!(month["byRevenue"][0]["category"], "canapes");
    assert_eq!(
        month["byRevenue"][0]["revenueChangePct"], 0.0,
        "899 € then, 899 € now"
    );
    // 91 days: the three orders 40 days ago count too; lamps lead by units (cancelled orders
    // and the one 220 days ago do not count).
    let quarter = staff
        .ok("get_top_products", json!({"period": "quarter", "limit": 2}))
        .await;
    assert_eq!(
        rank(&quarter["byRevenue"]),
        [("p01".to_owned(), 1798.0, 2), ("p03".to_owned(), 236.0, 4)]
    );
    assert_eq!(rank(&quarter["byUnits"])[0], ("p03".to_owned(), 236.0, 4));
    let lighting = staff
        .ok(
            "get_top_products",
            json!({"period": "quarter", "category": "luminaires"}),
        )
        .await;
    assert_eq!(rank(&lighting["byRevenue"]), [("p03".to_owned(), 236.0, 4)]);
    assert!(
        month["summary"]
            .as_str()
            .unwrap()
            .contains("Canapé d'angle Oslo")
    );
    for (bad, needle) in [
        (json!({"period": "decade"}), "period"),
        (json!({"period": "month", "limit": 0}), "limit"),
        (
            json!({"period": "month", "category": "voitures"}),
            "no category",
        ),
    ] {
        assert!(staff.error("get_top_products", bad).await.contains(needle));
    }
    let alice = connect(&app, "/mcp/analytics", Some(customer("alice"))).await;
    let (status, _) = alice
        .raw(
            "tools/call",
            json!({"name": "get_top_products", "arguments": {"period": "month"}}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn inventory_insights_find_shortages_cover_and_dead_stock() {
    let f = fixture();
    let app = f.app(&config());
    let staff = connect(&app, "/mcp/analytics", Some(staff())).await;
    let ids = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|p| p["productId"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = staff
        .ok("get_inventory_insights", json!({"lowStockThreshold": 4}))
        .await;
    // The mini catalog's p02 has no stock.
    assert!(ids(&all["outOfStock"]).contains(&"p02".to_owned()));
    assert_eq!(
        all["outOfStockCount"].as_u64().unwrap() as usize,
        all["outOfStock"].as_array().unwrap().len()
    );
    // The sofa (4 in stock) sold one unit in 30 days: 120 days of cover, low at threshold 4.
    let sofa = all["lowStock"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["productId"] == "p01")
        .unwrap()
        .clone();
    assert_eq!(
        (sofa["stock"].clone(), sofa["daysOfCover"].clone()),
        (json!(4), json!(120.0))
    );
    // The poster (50 in stock, made in 5 days) sells slowly: not about to run out.
    assert!(!ids(&all["likelyToRunOut"]).contains(&"p90".to_owned()));
    // Products in stock without a sale in 90 days are dead stock; those sold are not.
    let dead = ids(&all["deadStock"]);
    assert!(!dead.contains(&"p01".to_owned()) && !dead.contains(&"p03".to_owned()));
    assert!(!dead.is_empty());
    let lighting = staff
        .ok("get_inventory_insights", json!({"category": "luminaires"}))
        .await;
    let lighting_ids: Vec<String> = ["outOfStock", "lowStock", "deadStock"]
        .iter()
        .flat_map(|k| ids(&lighting[*k]))
        .collect();
    assert!(
        lighting_ids
            .iter()
            .all(|id| !["p01", "p02", "p90"].contains(&id.as_str())),
        "{lighting_ids:?}"
    );
    assert!(
        staff
            .error("get_inventory_insights", json!({"category": "voitures"}))
            .await
            .contains("no category")
    );
    assert!(
        staff
            .error("get_inventory_insights", json!({"lowStockThreshold": -1}))
            .await
            .contains("invalid arguments")
    );
    let anonymous = connect(&app, "/mcp/analytics", None).await;
    let (status, _) = anonymous
        .raw(
            "tools/call",
            json!({"name": "get_inventory_insights", "arguments": {}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// The mini catalog with `days` days of paid orders before `today`: a weekly pattern on a
/// growing level with deterministic noise, a few orders a day.
fn daily_orders_export(dir: &Path, today: chrono::NaiveDate, days: i64) -> std::path::PathBuf {
    let export = common::copy_fixture("mini", dir);
    let weekly = [1.15, 1.0, 1.0, 0.95, 0.9, 0.8, 1.2];
    let mut state: u64 = 7;
    let mut lines = Vec::new();
    for d in 0..days {
        let day = today - chrono::Days::new((days - d) as u64);
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let noise = ((state >> 40) as f64 / (1u64 << 24) as f64 - 0.5) * 0.3;
        let revenue = (300.0 + 2.0 * d as f64)
            * weekly[day.weekday().num_days_from_monday() as usize]
            * (1.0 + noise);
        for (n, share) in [0.5, 0.3, 0.2].into_iter().enumerate() {
            let total = (revenue * share * 100.0).round() / 100.0;
            lines.push(
                json!({"id": format!("o{d}_{n}"), "orderNumber": format!("ORD-FC{d:05}{n}"),
                       "userId": "alice", "email": "alice@example.fr", "status": "DELIVERED",
                       "total": total, "createdAt": format!("{day}T1{n}:00:00Z"),
                       "updatedAt": format!("{day}T1{n}:00:00Z"),
                       "items": [{"productId": "p01", "quantity": 1, "price": total}]})
                .to_string(),
            );
        }
    }
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    common::write(&export, "orders.ndjson", &refs);
    export
}

#[tokio::test]
async fn the_revenue_forecast_gives_intervals_per_day_and_the_backtest_that_chose_its_model() {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let export = daily_orders_export(dir.path(), today, 180);
    let f = Fixture {
        built: common::build_export(dir, &export, None),
        state_dir: tempfile::tempdir().unwrap(),
    };
    let mut config = config();
    config.store.today = Some(today);
    let app = f.app(&config);
    let staff = connect(&app, "/mcp/analytics", Some(staff())).await;
    let forecast = staff
        .ok("get_revenue_forecast", json!({"forecastDays": 14}))
        .await;
    assert_eq!(forecast["timeZone"], "Europe/Paris");
    assert_eq!(forecast["historyStart"], "2026-01-01");
    assert_eq!(forecast["historyEnd"], "2026-06-29");
    assert_eq!(forecast["startDate"], "2026-06-30");
    assert_eq!(forecast["endDate"], "2026-07-13");
    let points = forecast["points"].as_array().unwrap();
    assert_eq!(points.len(), 14);
    assert_eq!(points[0]["date"], "2026-06-30");
    for p in points {
        let v = |k: &str| p[k].as_f64().unwrap();
        assert!(0.0 <= v("lower95") && v("lower95") <= v("lower80"), "{p}");
        assert!(
            v("lower80") <= v("value") && v("value") <= v("upper80"),
            "{p}"
        );
        assert!(v("upper80") <= v("upper95"), "{p}");
    }
    // A weekly pattern under noise: the model beats seasonal naive and is the answer.
    let backtest = &forecast["backtest"];
    assert_eq!(backtest["folds"], 4);
    assert_eq!(backtest["horizonDays"], 14);
    let model_mase = backtest["model"]["mase"].as_f64().unwrap();
    assert!(model_mase < backtest["seasonalNaive"]["mase"].as_f64().unwrap());
    assert!(forecast["model"].as_str().unwrap().starts_with("MSTL"));
    assert!(forecast["fallbackReason"].is_null());
    assert!(
        forecast["limitations"]
            .as_str()
            .unwrap()
            .contains("Black Friday")
    );
    assert!(forecast["summary"].as_str().unwrap().contains("30/06/2026"));
    let total: f64 = points.iter().map(|p| p["value"].as_f64().unwrap()).sum();
    assert!((forecast["total"].as_f64().unwrap() - total).abs() < 0.1);
    // The default horizon is 30 days; out-of-range ones are refused.
    let default = staff.ok("get_revenue_forecast", json!({})).await;
    assert_eq!(default["points"].as_array().unwrap().len(), 30);
    for bad in [0, 366] {
        let message = staff
            .error("get_revenue_forecast", json!({"forecastDays": bad}))
            .await;
        assert!(message.contains("forecastDays"), "{message}");
    }
}

#[tokio::test]
async fn a_forecast_from_too_little_history_is_an_error_that_says_so() {
    // The sales fixture's first order is on 10 October: 15 days of history on the 25th.
    let dir = tempfile::tempdir().unwrap();
    let export = sales_export(dir.path());
    let f = Fixture {
        built: common::build_export(dir, &export, None),
        state_dir: tempfile::tempdir().unwrap(),
    };
    let mut config = config();
    config.store.today = chrono::NaiveDate::from_ymd_opt(2026, 10, 25);
    let app = f.app(&config);
    let staff = connect(&app, "/mcp/analytics", Some(staff())).await;
    let message = staff.error("get_revenue_forecast", json!({})).await;
    assert!(
        message.contains("15 days of history, a forecast needs at least"),
        "{message}"
    );
}

#[tokio::test]
async fn every_analytics_tool_refuses_anonymous_callers_and_customers() {
    let f = fixture();
    let app = f.app(&config());
    let staff = connect(&app, "/mcp/analytics", Some(staff())).await;
    let tools = staff.tools().await;
    assert!(tools.len() >= 4, "{tools:?}");
    let anonymous = connect(&app, "/mcp/analytics", None).await;
    let alice = connect(&app, "/mcp/analytics", Some(customer("alice"))).await;
    assert!(anonymous.tools().await.is_empty());
    assert!(alice.tools().await.is_empty());
    for tool in &tools {
        let call = json!({"name": tool, "arguments": {}});
        let (status, _) = anonymous.raw("tools/call", call.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{tool}");
        let (status, _) = alice.raw("tools/call", call).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{tool}");
    }
}

#[tokio::test]
async fn customer_acquisition_and_cohorts_add_up_as_sql_and_by_hand() {
    let (f, app) = sales_fixture("2026-11-20");
    let staff = connect(&app, "/mcp/analytics", Some(staff())).await;
    // The last 30 days: 22 October to 20 November in Paris, 2026-10-21T22:00Z to
    // 2026-11-20T23:00Z in UTC.
    let acq = staff
        .ok("get_customer_analytics", json!({"metric": "acquisition"}))
        .await;
    assert_eq!(acq["startDate"], "2026-10-22");
    assert_eq!(acq["endDate"], "2026-11-20");
    let a = &acq["acquisition"];
    let db = rusqlite::Connection::open(f.built.dir.path().join("catalog.db")).unwrap();
    let paid = "status IN ('PAID', 'PROCESSING', 'SHIPPED', 'DELIVERED')";
    let sql_new: i64 = db
        .query_row(
            &format!(
                "SELECT count(*) FROM (SELECT user_id, min(datetime(created_at)) AS first
                   FROM orders WHERE {paid} GROUP BY user_id)
                  WHERE first >= datetime('2026-10-21T22:00:00Z')
                    AND first < datetime('2026-11-20T23:00:00Z')"
            ),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(a["newCustomers"], sql_new);
    assert_eq!(sql_new, 3, "carol, dan, fay");
    assert_eq!(a["returningCustomers"], 2, "alice and bob");
    let sql_new_revenue: f64 = db
        .query_row(
            &format!(
                "SELECT sum(o.total) FROM orders o JOIN (SELECT user_id, min(datetime(created_at))
                   AS first FROM orders WHERE {paid} GROUP BY user_id) f USING (user_id)
                  WHERE o.{paid} AND f.first >= datetime('2026-10-21T22:00:00Z')
                    AND datetime(o.created_at) >= datetime('2026-10-21T22:00:00Z')
                    AND datetime(o.created_at) < datetime('2026-11-20T23:00:00Z')"
            ),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(a["newCustomerRevenue"].as_f64().unwrap(), sql_new_revenue);
    assert_eq!(sql_new_revenue, 40.0 + 80.0 + 50.0 + 25.0 + 20.0);
    assert_eq!(a["returningCustomerRevenue"], 60.0 + 7.0 + 100.0);
    assert_eq!(a["granularity"], "day");
    let per_day: u64 = a["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["newCustomers"].as_u64().unwrap())
        .sum();
    assert_eq!(per_day, 3);
    assert_eq!(a["periods"].as_array().unwrap().len(), 30);

    // Cohorts: October (alice, bob, carol), all back in November; November (dan, fay).
    let retention = staff
        .ok("get_customer_analytics", json!({"metric": "retention"}))
        .await;
    let cohorts = retention["cohorts"].as_array().unwrap();
    assert_eq!(cohorts.len(), 12);
    assert_eq!(retention["startDate"], "2025-12-01");
    let october = &cohorts[10];
    assert_eq!(october["cohort"], "2026-10");
    assert_eq!(october["customers"], 3);
    assert_eq!(october["retention"], json!([1.0, 1.0]));
    assert_eq!(october["revenuePerCustomer"], json!([356.67, 439.0]));
    let november = &cohorts[11];
    assert_eq!(november["customers"], 2);
    assert_eq!(november["retention"], json!([1.0]));
    assert_eq!(november["revenuePerCustomer"], json!([47.5]));
    assert_eq!(cohorts[0]["customers"], 0);
    let sql_customers: i64 = db
        .query_row(
            &format!("SELECT count(DISTINCT user_id) FROM orders WHERE {paid}"),
            [],
            |r| r.get(0),
        )
        .unwrap();
    let cohort_total: u64 = cohorts
        .iter()
        .map(|c| c["customers"].as_u64().unwrap())
        .sum();
    assert_eq!(cohort_total as i64, sql_customers);

    // Lifetime value: spend alice 1067, bob 130, carol 120, dan 75, fay 20.
    let ltv = staff
        .ok(
            "get_customer_analytics",
            json!({"metric": "lifetime_value"}),
        )
        .await;
    let d = &ltv["distribution"];
    assert_eq!(d["customers"], 5);
    let sql_mean: f64 = db
        .query_row(
            &format!("SELECT sum(total) / count(DISTINCT user_id) FROM orders WHERE {paid}"),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        d["mean"].as_f64().unwrap(),
        (sql_mean * 100.0).round() / 100.0
    );
    assert_eq!(d["median"], 120.0);
    assert!(ltv["cohorts"].is_array());
    let text = format!("{acq}{retention}{ltv}");
    for name in ["alice", "bob", "carol", "example.fr", "ORD-"] {
        assert!(!text.contains(name), "{name} in an analytics answer");
    }
    for (bad, needle) in [
        (json!({"metric": "churn"}), "metric must be"),
        (
            json!({"metric": "acquisition", "period": "decade"}),
            "period must be",
        ),
    ] {
        let message = staff.error("get_customer_analytics", bad).await;
        assert!(message.contains(needle), "{message}");
    }
}

#[tokio::test]
async fn cart_abandonment_counts_idle_carts_and_says_when_there_are_none() {
    let (_f, app) = sales_fixture("2026-11-20");
    let owner = connect(&app, "/mcp/analytics", Some(staff())).await;
    let answer = owner
        .ok(
            "get_customer_analytics",
            json!({"metric": "cart_abandonment"}),
        )
        .await;
    assert_eq!(answer["hasCartData"], true);
    let c = &answer["cartAbandonment"];
    // c1 became o1; c2 and c3 were left; c4 was touched 13 hours before the day's end; c5 is
    // older than the 30 days.
    assert_eq!(
        (&c["carts"], &c["converted"], &c["abandoned"], &c["open"]),
        (&json!(4), &json!(1), &json!(2), &json!(1))
    );
    assert_eq!(c["abandonmentRate"], 0.667);
    assert_eq!(c["abandonedValue"], 929.0);
    let top: Vec<(&str, u64)> = c["topAbandonedProducts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["productId"].as_str().unwrap(),
                p["carts"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(top, [("p02", 2), ("p01", 1)]);

    // Without carts.ndjson: no figure, and the answer says why.
    let f = fixture();
    let app = f.app(&config());
    let session = connect(&app, "/mcp/analytics", Some(staff())).await;
    let none = session
        .ok(
            "get_customer_analytics",
            json!({"metric": "cart_abandonment"}),
        )
        .await;
    assert_eq!(none["hasCartData"], false);
    assert!(none.get("cartAbandonment").is_none());
    assert!(
        none["summary"]
            .as_str()
            .unwrap()
            .contains("Aucune donnée de panier")
    );
}

#[test]
fn a_cart_naming_an_unknown_order_is_rejected_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let export = sales_export(dir.path());
    common::append(
        &export,
        "carts.ndjson",
        &[
            r#"{"id": "c9", "items": [{"productId": "gone", "quantity": 1, "price": 5.0}], "createdAt": "2026-11-05T10:00:00Z", "updatedAt": "2026-11-05T10:00:00Z", "orderId": "o99"}"#,
            r#"{"id": "c10", "items": [{"productId": "gone", "quantity": 1, "price": 5.0}], "createdAt": "2026-11-05T10:00:00Z", "updatedAt": "2026-11-05T10:00:00Z"}"#,
        ],
    );
    let catalog = vivr_search::catalog::Catalog::open(&dir.path().join("catalog.db")).unwrap();
    let report = catalog.import(&export, Default::default()).unwrap();
    assert_eq!(
        report.carts.inserted, 6,
        "c1 to c5, and c10 whose product is gone"
    );
    assert_eq!(report.rejects.len(), 1, "{:?}", report.rejects);
    assert_eq!(report.rejects[0].file, "carts.ndjson");
    assert_eq!(report.rejects[0].line, 6);
    assert!(
        report.rejects[0]
            .reason
            .contains("orderId: \"o99\" names no order")
    );
}

#[tokio::test]
async fn search_insights_merge_keystrokes_and_read_events_from_the_state_database() {
    use vivr_search::state::{Event, EventKind, SearchLog, State};
    let (f, app) = sales_fixture("2026-11-20");
    let state = State::open(&f.state_dir.path().join("state.db")).unwrap();
    // The engine's own traffic is dated by its clock, whatever the store's pinned day: the
    // logs are from yesterday, at `t` seconds past 08:00 UTC.
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1))
        .date_naive()
        .and_hms_opt(8, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis();
    let at = |t: i64| yesterday + t * 1000;
    let log =
        |uid: &str, session: &str, time: i64, query: &str, hits: u64, dropped: &[&str]| SearchLog {
            request_uid: uid.into(),
            at_ms: at(time),
            query: query.into(),
            mode: "instant",
            hits,
            latency_ms: 2.0,
            session_id: Some(session.into()),
            user_id: None,
            dropped: dropped.iter().map(|d| d.to_string()).collect(),
        };
    state
        .record_searches(&[
            log("u1", "s1", 0, "lam", 5, &[]),
            log("u2", "s1", 1, "lamp", 4, &[]),
            log("u3", "s1", 2, "lampe", 3, &[]),
            log("u4", "s2", 3600, "lampe", 3, &[]),
            log("u5", "s3", 7200, "Lampe", 3, &[]),
            log("u6", "s4", 10800, "jacuzzi", 0, &[]),
            log("u7", "s5", 14400, "jacuzzi", 0, &[]),
            log("u8", "s6", 18000, "canpé", 2, &[]),
            log("u9", "s7", 21600, "canapé zèbre", 1, &["zèbre"]),
            // Older than the month: not read.
            log("u0", "s8", -60 * 86_400, "sauna", 0, &[]),
        ])
        .unwrap();
    let event = |kind, query: &str| Event {
        kind,
        query_id: Some(query.into()),
        product_id: "p03".into(),
        position: Some(1),
        session_id: None,
        user_id: None,
        at_ms: at(25200),
    };
    // A click on the keystroke "lam" counts for the search "lampe" it led to.
    state
        .record_events(&[
            event(EventKind::Click, "u1"),
            event(EventKind::Purchase, "u4"),
        ])
        .unwrap();
    let staff = connect(&app, "/mcp/analytics", Some(staff())).await;
    let i = staff.ok("get_search_insights", json!({})).await;
    assert_eq!(
        (&i["loggedSearches"], &i["searches"]),
        (&json!(9), &json!(7))
    );
    assert_eq!(i["zeroResultRate"], 0.286);
    assert_eq!(i["hasEvents"], true);
    assert_eq!(i["clickThroughRate"], 0.143);
    assert_eq!(i["conversionRate"], 0.143);
    let top = &i["topQueries"][0];
    assert_eq!(
        (&top["query"], &top["searches"]),
        (&json!("lampe"), &json!(3))
    );
    assert_eq!(top["clickThroughRate"], 0.333);
    assert_eq!(i["zeroResultQueries"][0]["query"], "jacuzzi");
    assert_eq!(i["zeroResultQueries"][0]["searches"], 2);
    assert_eq!(i["zeroResultQueries"].as_array().unwrap().len(), 1);
    assert_eq!(i["rarelyClickedQueries"][0]["query"], "lampe");
    assert_eq!(i["droppedWords"], json!([{"word": "zèbre", "searches": 1}]));
    assert_eq!(
        i["correctedWords"],
        json!([{"word": "canpé", "searches": 1}])
    );
    assert!(i["summary"].as_str().unwrap().contains("jacuzzi"));
    let week = staff
        .ok("get_search_insights", json!({"period": "year", "limit": 1}))
        .await;
    assert_eq!(week["searches"], 8);
    assert_eq!(week["zeroResultQueries"].as_array().unwrap().len(), 1);
    let message = staff
        .error("get_search_insights", json!({"limit": 0}))
        .await;
    assert!(message.contains("limit"), "{message}");
}

#[tokio::test]
async fn category_performance_adds_up_with_margins_and_search_events() {
    use vivr_search::state::{Event, EventKind, State};
    let dir = tempfile::tempdir().unwrap();
    let export = sales_export(dir.path());
    // The sofa p01 costs 0.40 € a unit (its lines sell at 1 €).
    let products = std::fs::read_to_string(export.join("products.ndjson")).unwrap();
    let lines: Vec<String> = products
        .lines()
        .map(|l| {
            let mut p: Value = serde_json::from_str(l).unwrap();
            if p["id"] == "p01" {
                p["cost"] = json!(0.4);
            }
            p.to_string()
        })
        .collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    common::write(&export, "products.ndjson", &refs);
    let f = Fixture {
        built: common::build_export(dir, &export, None),
        state_dir: tempfile::tempdir().unwrap(),
    };
    let state = State::open(&f.state_dir.path().join("state.db")).unwrap();
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-19T10:00:00Z")
        .unwrap()
        .timestamp_millis();
    let event = |kind, query: Option<&str>| Event {
        kind,
        query_id: query.map(str::to_owned),
        product_id: "p01".into(),
        position: Some(1),
        session_id: None,
        user_id: None,
        at_ms: at,
    };
    state
        .record_events(&[
            event(EventKind::Click, Some("q1")),
            event(EventKind::Click, Some("q2")),
            event(EventKind::Purchase, Some("q1")),
            // Not from a search: not counted.
            event(EventKind::Click, None),
        ])
        .unwrap();
    let mut config = config();
    config.store.today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20);
    let app = f.app(&config);
    let staff = connect(&app, "/mcp/analytics", Some(staff())).await;
    let answer = staff.ok("get_category_performance", json!({})).await;
    assert_eq!(answer["hasEvents"], true);
    let top = &answer["categories"][0];
    assert_eq!(top["category"], "mobilier");
    // The lines of the paid orders of 22 October to 20 November, as SQL sums them.
    let db = rusqlite::Connection::open(f.built.dir.path().join("catalog.db")).unwrap();
    let (units, revenue): (i64, f64) = db
        .query_row(
            "SELECT sum(i.quantity), sum(i.quantity * i.price) FROM order_items i
               JOIN orders o ON o.id = i.order_id
               JOIN products p ON p.id = i.product_id
              WHERE o.status IN ('PAID', 'PROCESSING', 'SHIPPED', 'DELIVERED')
                AND p.category_id IN ('c-mob', 'c-canapes', 'c-tables')
                AND datetime(o.created_at) >= datetime('2026-10-21T22:00:00Z')
                AND datetime(o.created_at) < datetime('2026-11-20T23:00:00Z')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((units, revenue), (16, 16.0));
    assert_eq!(top["units"], units);
    assert_eq!(top["revenue"], revenue);
    // The 30 days before: o9 and o10, one unit each.
    assert_eq!(top["unitsChangePct"], 700.0);
    assert_eq!(top["margin"], 9.6);
    assert_eq!(top["marginRate"], 0.6);
    assert_eq!(top["marginCoverage"], 1.0);
    assert_eq!(
        (&top["searchClicks"], &top["searchPurchases"]),
        (&json!(2), &json!(1))
    );
    assert_eq!(top["searchConversionRate"], 0.5);
    let sofas = &top["subcategories"][0];
    assert_eq!(
        (&sofas["category"], &sofas["units"]),
        (&json!("canapes"), &json!(16))
    );
    // A category without sales: no margin, no change.
    let lighting = answer["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == "luminaires")
        .unwrap();
    assert_eq!(lighting["revenue"], 0.0);
    assert!(lighting["margin"].is_null() && lighting["revenueChangePct"].is_null());
    assert!(answer["summary"].as_str().unwrap().contains("Mobilier"));
}

fn get(path: &str, token: Option<&str>) -> axum::http::Request<axum::body::Body> {
    let mut request = axum::http::Request::get(path).header("host", "127.0.0.1:7700");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request.body(axum::body::Body::empty()).unwrap()
}

const ADMIN_ROUTES: [&str; 7] = [
    "/api/ai/admin/insights/sales",
    "/api/ai/admin/insights/inventory",
    "/api/ai/admin/insights/top-products",
    "/api/ai/admin/insights/categories",
    "/api/ai/admin/insights/customers?metric=retention",
    "/api/ai/admin/insights/forecast",
    "/v1/analytics/searches",
];

#[tokio::test]
async fn admin_routes_answer_as_the_tools_do_for_analytics_read_only() {
    let (_f, app) = sales_fixture("2026-11-20");
    let staff_token = staff();
    // The same answer as the tool, for the same arguments.
    let (status, sales) = common::send(
        &app,
        get(
            "/api/ai/admin/insights/sales?startDate=2026-11-01&endDate=2026-11-15&granularity=week",
            Some(&staff_token),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{sales}");
    let session = connect(&app, "/mcp/analytics", Some(staff_token.clone())).await;
    let tool = session
        .ok(
            "get_sales_summary",
            json!({"startDate": "2026-11-01", "endDate": "2026-11-15", "granularity": "week"}),
        )
        .await;
    assert_eq!(sales, tool);
    // Without arguments: the last 30 days, per day.
    let (_, default) = common::send(
        &app,
        get("/api/ai/admin/insights/sales", Some(&staff_token)),
    )
    .await;
    assert_eq!(
        (&default["startDate"], &default["endDate"]),
        (&json!("2026-10-22"), &json!("2026-11-20"))
    );
    assert_eq!(default["periods"].as_array().unwrap().len(), 30);
    let customer_token = customer("alice");
    for route in ADMIN_ROUTES {
        let (status, body) = common::send(&app, get(route, None)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{route}: {body}");
        assert_eq!(body["code"], "token_required", "{route}");
        let (status, body) = common::send(&app, get(route, Some(&customer_token))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{route}: {body}");
        assert_eq!(body["code"], "insufficient_scope", "{route}");
        let (status, body) = common::send(&app, get(route, Some("not-a-token"))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{route}: {body}");
        let (status, body) = common::send(&app, get(route, Some(&staff_token))).await;
        // The forecast needs four weeks of history: the fixture has 41 days.
        assert_eq!(status, StatusCode::OK, "{route}: {body}");
        let text = body.to_string();
        for name in ["alice", "bob", "example.fr", "ORD-"] {
            assert!(!text.contains(name), "{route}: {name}");
        }
    }
    let (status, body) = common::send(
        &app,
        get(
            "/api/ai/admin/insights/top-products?period=decade",
            Some(&staff_token),
        ),
    )
    .await;
    assert_eq!(
        (status, &body["code"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_field"))
    );
    let (status, body) = common::send(
        &app,
        get(
            "/api/ai/admin/insights/inventory?colour=red",
            Some(&staff_token),
        ),
    )
    .await;
    assert_eq!(
        (status, &body["code"]),
        (StatusCode::BAD_REQUEST, &json!("unknown_field"))
    );
}

#[tokio::test]
async fn the_admin_token_and_the_static_mcp_token_read_the_admin_routes() {
    let dir = tempfile::tempdir().unwrap();
    let export = sales_export(dir.path());
    let f = Fixture {
        built: common::build_export(dir, &export, None),
        state_dir: tempfile::tempdir().unwrap(),
    };
    let mut config = config();
    config.admin_token = Some("admin-token-of-at-least-16".into());
    config.mcp_auth_token = Some("static-mcp-token-of-at-least-16".into());
    let app = f.app(&config);
    for token in [
        "admin-token-of-at-least-16",
        "static-mcp-token-of-at-least-16",
    ] {
        let (status, body) =
            common::send(&app, get("/api/ai/admin/insights/inventory", Some(token))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body["outOfStockCount"].is_number());
    }
}

#[tokio::test]
async fn each_answer_carries_its_french_summary_as_text_and_is_not_a_lookup() {
    let (_f, app) = {
        let dir = tempfile::tempdir().unwrap();
        let export = sales_export(dir.path());
        let f = Fixture {
            built: common::build_export(dir, &export, None),
            state_dir: tempfile::tempdir().unwrap(),
        };
        let mut config = config();
        config.store.today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20);
        // Order lookups are limited; the analytics read no one's order and are not.
        config.auth.lookups_per_minute = 2;
        let app = f.app(&config);
        (f, app)
    };
    let staff = connect(&app, "/mcp/analytics", Some(staff())).await;
    for _ in 0..4 {
        let result = staff
            .call("get_top_products", json!({"period": "month"}))
            .await;
        assert_ne!(result["isError"], true, "{result}");
        let content = result["content"].as_array().unwrap();
        assert_eq!(content.len(), 2, "{result}");
        let json: Value = serde_json::from_str(content[0]["text"].as_str().unwrap()).unwrap();
        assert_eq!(json, result["structuredContent"]);
        assert_eq!(content[1]["text"], result["structuredContent"]["summary"]);
        assert!(
            content[1]["text"]
                .as_str()
                .unwrap()
                .starts_with("Du 22/10/2026")
        );
    }
}

#[tokio::test]
async fn an_import_that_changes_the_replica_refreshes_the_analytics() {
    let dir = tempfile::tempdir().unwrap();
    let export = sales_export(dir.path());
    let export_path = export.clone();
    let f = Fixture {
        built: common::build_export(dir, &export, None),
        state_dir: tempfile::tempdir().unwrap(),
    };
    let app = f.app(&config());
    let staff = connect(&app, "/mcp/analytics", Some(staff())).await;
    let args = json!({"startDate": "2026-11-20", "endDate": "2026-11-20", "granularity": "day"});
    let before = staff.ok("get_sales_summary", args.clone()).await;
    assert_eq!(before["total"]["orders"], 0);
    common::append(
        &export_path,
        "orders.ndjson",
        &[
            r#"{"id": "o13", "orderNumber": "ORD-SALE0013", "userId": "gus", "email": "gus@example.fr", "status": "PAID", "total": 42.0, "createdAt": "2026-11-20T10:00:00Z", "updatedAt": "2026-11-20T10:00:00Z", "items": [{"productId": "p01", "quantity": 1, "price": 42.0}]}"#,
        ],
    );
    let report = f
        .built
        .engine
        .catalog()
        .import(&export_path, Default::default())
        .unwrap();
    assert_eq!(report.orders.inserted, 1);
    let after = staff.ok("get_sales_summary", args).await;
    assert_eq!(after["total"]["revenue"], 42.0);
}
