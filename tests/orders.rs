//! The order and customer-service MCP servers through the router (no socket), behind access
//! tokens: what each caller sees and may do, the token checks and their challenges, each
//! tool's happy path and invalid arguments, and the ticket webhook.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Utc;
use common::send;
use common::store::{
    BASE, ISSUER, Session, ago, connect, customer, export, fixture, message, staff, token_with,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use tower::ServiceExt;
use vivr_search::config::Config;

fn config() -> Config {
    common::store::auth_config()
}

const PUBLIC: [&str; 8] = [
    "search_products",
    "get_product_details",
    "get_similar_products",
    "check_stock_availability",
    "get_category_products",
    "get_recommendations",
    "search_faq",
    "get_return_policy",
];

#[tokio::test]
async fn each_caller_lists_the_tools_its_token_allows() {
    let f = fixture();
    let app = f.app(&config());
    let anonymous = connect(&app, "/mcp", None).await;
    assert_eq!(anonymous.tools().await, PUBLIC);
    let alice = connect(&app, "/mcp", Some(customer("alice"))).await;
    let tools = alice.tools().await;
    assert!(
        tools.contains(&"get_order_status".to_owned())
            && tools.contains(&"escalate_to_human".to_owned())
    );
    assert!(
        !tools.contains(&"search_orders".to_owned())
            && !tools.contains(&"find_order_for_support".to_owned())
    );
    let staff_all = connect(&app, "/mcp", Some(staff())).await.tools().await;
    assert_eq!(staff_all.len(), 24, "{staff_all:?}");
    let orders = connect(&app, "/mcp/orders", Some(staff()))
        .await
        .tools()
        .await;
    assert_eq!(
        orders,
        [
            "get_order_status",
            "get_user_orders",
            "estimate_delivery",
            "get_order_items",
            "search_orders"
        ]
    );
    let support = connect(&app, "/mcp/support", None).await.tools().await;
    assert_eq!(support, ["search_faq", "get_return_policy"]);
    let catalog = connect(&app, "/mcp/catalog", Some(staff()))
        .await
        .tools()
        .await;
    assert_eq!(catalog, PUBLIC[..6]);
}

#[tokio::test]
async fn a_customer_reads_only_their_own_orders_and_another_s_looks_unknown() {
    let f = fixture();
    let app = f.app(&config());
    let alice = connect(&app, "/mcp", Some(customer("alice"))).await;
    let own = alice
        .ok("get_order_status", json!({"orderNumber": "ORD-AAAA0002"}))
        .await;
    assert_eq!(own["status"], "SHIPPED");
    assert_eq!(own["trackingNumber"], "6A00000000001");
    assert!(own["nextStep"].as_str().unwrap().contains("Colissimo"));
    assert!(
        own.get("customerEmail").is_none(),
        "a customer's answer carries no e-mail"
    );
    // By id too, and the number in lower case.
    assert_eq!(
        alice
            .ok("get_order_status", json!({"orderId": "oa1"}))
            .await["orderNumber"],
        "ORD-AAAA0001"
    );
    assert_eq!(
        alice
            .ok("get_order_status", json!({"orderId": "ord-aaaa0001"}))
            .await["orderId"],
        "oa1"
    );
    // Bob's order and an order that does not exist: the same words, for every order tool.
    for (tool, key) in [
        ("get_order_status", "orderNumber"),
        ("get_order_items", "orderId"),
        ("estimate_delivery", "orderId"),
        ("check_refund_eligibility", "orderId"),
        ("get_shipping_info", "orderId"),
    ] {
        let bobs = alice.error(tool, json!({key: "ORD-BBBB0001"})).await;
        let unknown = alice.error(tool, json!({key: "ORD-ZZZZ9999"})).await;
        assert_eq!(bobs, unknown, "{tool}");
        assert!(bobs.contains("no order matches"), "{bobs}");
    }
    assert_eq!(
        alice
            .error(
                "get_shipping_info",
                json!({"trackingNumber": "6A00000000009"})
            )
            .await,
        alice
            .error(
                "get_shipping_info",
                json!({"trackingNumber": "6A00000000000"})
            )
            .await
    );
    // Her list holds her orders only; another user id is refused.
    let list = alice.ok("get_user_orders", json!({})).await;
    let numbers: Vec<&str> = list["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["orderNumber"].as_str().unwrap())
        .collect();
    assert_eq!(numbers.len(), 5);
    assert!(numbers.iter().all(|n| n.starts_with("ORD-AAAA")));
    assert_eq!(
        alice
            .ok(
                "get_user_orders",
                json!({"userId": "alice", "status": "delivered", "limit": 1})
            )
            .await["orders"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(
        alice
            .error("get_user_orders", json!({"userId": "bob"}))
            .await
            .contains("own id")
    );
    // Staff read anyone's, with the e-mail, and must name the user.
    let staff = connect(&app, "/mcp", Some(staff())).await;
    assert_eq!(
        staff
            .ok("get_order_status", json!({"orderNumber": "ORD-BBBB0001"}))
            .await["customerEmail"],
        "bob@example.fr"
    );
    assert!(
        staff
            .error("get_user_orders", json!({}))
            .await
            .contains("userId is required")
    );
    assert_eq!(
        staff.ok("get_user_orders", json!({"userId": "bob"})).await["orders"][0]["userId"],
        "bob"
    );
}

#[tokio::test]
async fn token_failures_get_401_a_missing_scope_403_with_the_challenge() {
    let f = fixture();
    let app = f.app(&config());
    let init = |token: &str| {
        message(
            "/mcp/orders",
            Some(token),
            None,
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}),
            Some(0),
        )
    };
    let now = Utc::now().timestamp();
    let bad = [
        ("expired", token_with("alice", "orders:read", |c| c["exp"] = json!(now - 600))),
        ("not yet valid", token_with("alice", "orders:read", |c| c["nbf"] = json!(now + 600))),
        ("wrong audience", token_with("alice", "orders:read", |c| c["aud"] = json!("https://other.example/mcp"))),
        ("wrong issuer", token_with("alice", "orders:read", |c| c["iss"] = json!("https://evil.example"))),
        ("badly signed", encode(&Header::new(Algorithm::HS256), &json!({"sub": "alice", "scope": "orders:read", "iss": ISSUER, "aud": format!("{BASE}/mcp"), "exp": now + 300}),
            &EncodingKey::from_secret(b"not-the-secret-but-as-long-as-it-is-32")).unwrap()),
        ("not a JWT", "abc.def.ghi".to_owned()),
    ];
    for (what, token) in bad {
        let response = app.clone().oneshot(init(&token)).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{what}");
        let challenge = response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            challenge.starts_with("Bearer error=\"invalid_token\""),
            "{what}: {challenge}"
        );
        assert!(
            challenge.contains(&format!(
                "resource_metadata=\"{BASE}/.well-known/oauth-protected-resource/mcp/orders\""
            )),
            "{challenge}"
        );
    }
    // A token for a per-server URL is accepted there too.
    let for_orders = token_with("alice", "orders:read", |c| {
        c["aud"] = json!(format!("{BASE}/mcp/orders"))
    });
    assert_eq!(
        app.clone()
            .oneshot(init(&for_orders))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    // Anonymous: 401 with the scope to ask for; a customer on a staff tool: 403.
    let anonymous = connect(&app, "/mcp/orders", None).await;
    let call = |session: &Session, name: &str| {
        message(
            session.path,
            session.token.as_deref(),
            Some(&session.id),
            "tools/call",
            json!({"name": name, "arguments": {"orderId": "oa1"}}),
            Some(3),
        )
    };
    let response = app
        .clone()
        .oneshot(call(&anonymous, "get_order_items"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.contains("scope=\"orders:read\"") && challenge.contains("resource_metadata="),
        "{challenge}"
    );
    let alice = connect(&app, "/mcp/orders", Some(customer("alice"))).await;
    let response = app
        .clone()
        .oneshot(call(&alice, "search_orders"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.contains("error=\"insufficient_scope\"")
            && challenge.contains("scope=\"orders:read:all\""),
        "{challenge}"
    );
    // A token without support:write may not escalate.
    let reader = connect(
        &app,
        "/mcp/support",
        Some(token_with("alice", "orders:read", |_| {})),
    )
    .await;
    let (status, _) = reader
        .raw(
            "tools/call",
            json!({"name": "escalate_to_human", "arguments": {"reason": "x"}}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_protected_resource_metadata_is_served_per_path() {
    let f = fixture();
    let app = f.app(&config());
    for path in ["", "/mcp", "/mcp/orders", "/mcp/support", "/mcp/catalog"] {
        let (status, doc) = send(
            &app,
            Request::get(format!("/.well-known/oauth-protected-resource{path}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let resource = if path.is_empty() { "/mcp" } else { path };
        assert_eq!(doc["resource"], format!("{BASE}{resource}"));
        assert_eq!(doc["authorization_servers"], json!([ISSUER]));
        assert_eq!(
            doc["scopes_supported"],
            json!([
                "orders:read",
                "orders:read:all",
                "support:write",
                "analytics:read"
            ])
        );
    }
    let (status, _) = send(
        &app,
        Request::get("/.well-known/oauth-protected-resource/elsewhere")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn order_tools_answer_and_say_what_to_fix() {
    let f = fixture();
    let app = f.app(&config());
    let alice = connect(&app, "/mcp/orders", Some(customer("alice"))).await;
    // estimate_delivery: in transit with Colissimo; a made-to-order sofa to Corsica.
    let shipped = alice
        .ok("estimate_delivery", json!({"orderId": "ORD-AAAA0002"}))
        .await;
    assert_eq!(shipped["confidence"], "high");
    assert!(shipped["earliest"].as_str().unwrap() <= shipped["latest"].as_str().unwrap());
    assert_eq!(shipped["zone"], "France métropolitaine");
    let corsica = alice
        .ok("estimate_delivery", json!({"orderId": "oa5"}))
        .await;
    assert_eq!(corsica["zone"], "Corse");
    let basis = corsica["basis"].to_string();
    assert!(basis.contains("5 jours de fabrication"), "{basis}");
    assert_eq!(
        alice
            .ok(
                "estimate_delivery",
                json!({"orderId": "oa2", "postalCode": "97400"})
            )
            .await["zone"],
        "outre-mer"
    );
    assert!(
        alice
            .error(
                "estimate_delivery",
                json!({"orderId": "oa2", "postalCode": "<script>"})
            )
            .await
            .contains("postalCode")
    );
    assert_eq!(
        alice
            .ok("estimate_delivery", json!({"orderId": "oa4"}))
            .await["earliest"],
        Value::Null
    );
    // get_order_items: names, still sold, in stock.
    let items = alice
        .ok("get_order_items", json!({"orderId": "ORD-AAAA0001"}))
        .await;
    assert_eq!(items["items"][0]["name"], "Canapé d'angle Oslo en velours");
    assert_eq!(items["items"][0]["stillSold"], true);
    assert!(
        alice
            .error("get_order_items", json!({}))
            .await
            .contains("invalid arguments")
    );
    assert!(
        alice
            .error("get_order_status", json!({}))
            .await
            .contains("orderNumber")
    );
    assert!(
        alice
            .error("get_user_orders", json!({"status": "LOST"}))
            .await
            .contains("PENDING")
    );
    assert!(
        alice
            .error("get_user_orders", json!({"limit": 0}))
            .await
            .contains("limit")
    );
    // search_orders: staff, pages with a cursor.
    let staff = connect(&app, "/mcp/orders", Some(staff())).await;
    let first = staff.ok("search_orders", json!({"limit": 4})).await;
    assert_eq!(first["orders"].as_array().unwrap().len(), 4);
    let cursor = first["nextCursor"].as_str().unwrap();
    let second = staff
        .ok("search_orders", json!({"limit": 4, "cursor": cursor}))
        .await;
    let total = 4 + second["orders"].as_array().unwrap().len();
    assert_eq!(total, 6, "the fixture's six orders, in two pages: {second}");
    let delivered = staff
        .ok(
            "search_orders",
            json!({"status": "DELIVERED", "minTotal": 100, "dateFrom": ago(60)[..10]}),
        )
        .await;
    let numbers: Vec<&str> = delivered["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["orderNumber"].as_str().unwrap())
        .collect();
    // Same creation time: the larger id first; oa3 is older than 60 days, oa2 not delivered.
    assert_eq!(numbers, ["ORD-BBBB0001", "ORD-AAAA0001"]);
    assert!(
        staff
            .error("search_orders", json!({"dateFrom": "yesterday"}))
            .await
            .contains("dateFrom")
    );
    assert!(
        staff
            .error("search_orders", json!({"minTotal": 10, "maxTotal": 5}))
            .await
            .contains("minTotal")
    );
    assert!(
        staff
            .error("search_orders", json!({"cursor": "garbage"}))
            .await
            .contains("cursor")
    );
    assert!(
        staff
            .error("search_orders", json!({"limit": 101}))
            .await
            .contains("limit")
    );
}

#[tokio::test]
async fn support_tools_answer_and_say_what_to_fix() {
    let f = fixture();
    let app = f.app(&config());
    let alice = connect(&app, "/mcp/support", Some(customer("alice"))).await;
    // Refunds: within the period (the personalised poster excluded), over, defect, cancelled.
    let recent = alice
        .ok(
            "check_refund_eligibility",
            json!({"orderId": "ORD-AAAA0001"}),
        )
        .await;
    assert_eq!(recent["eligible"], true);
    assert_eq!(recent["lines"][0]["code"], "WITHIN_WITHDRAWAL_PERIOD");
    assert_eq!(recent["lines"][1]["code"], "PERSONALISED_GOODS");
    assert_eq!(recent["lines"][1]["eligible"], false);
    assert_eq!(
        recent["refundAmount"], 899.0,
        "the sofa only: delivery is refunded when everything is returned"
    );
    let old = alice
        .ok("check_refund_eligibility", json!({"orderId": "oa3"}))
        .await;
    assert_eq!(
        (old["eligible"].clone(), old["code"].clone()),
        (json!(false), json!("WITHDRAWAL_PERIOD_OVER"))
    );
    let broken = alice
        .ok(
            "check_refund_eligibility",
            json!({"orderId": "oa3", "reason": "le pied est cassé"}),
        )
        .await;
    assert_eq!(broken["code"], "CONFORMITY_GUARANTEE");
    assert_eq!(
        alice
            .ok("check_refund_eligibility", json!({"orderId": "oa4"}))
            .await["code"],
        "ORDER_CANCELLED"
    );
    assert_eq!(
        alice
            .ok("check_refund_eligibility", json!({"orderId": "oa5"}))
            .await["code"],
        "NOT_SHIPPED_CANCEL_INSTEAD"
    );
    assert!(
        alice
            .error("check_refund_eligibility", json!({"orderId": ""}))
            .await
            .contains("order's id")
    );
    // Shipping info by order and by tracking number.
    let shipping = alice
        .ok(
            "get_shipping_info",
            json!({"trackingNumber": "6A00000000001"}),
        )
        .await;
    assert_eq!(shipping["orderNumber"], "ORD-AAAA0002");
    assert!(
        shipping["trackingUrl"]
            .as_str()
            .unwrap()
            .contains("laposte.fr")
    );
    assert_eq!(shipping["usualTransit"], "2 à 3 jours ouvrés");
    assert!(
        alice
            .error("get_shipping_info", json!({}))
            .await
            .contains("trackingNumber")
    );
    assert!(
        alice
            .error(
                "get_shipping_info",
                json!({"orderId": "oa1", "trackingNumber": "x"})
            )
            .await
            .contains("not both")
    );
    // FAQ and return policy, public.
    let anonymous = connect(&app, "/mcp/support", None).await;
    let faq = anonymous
        .ok("search_faq", json!({"query": "comment payer en 3 fois"}))
        .await;
    assert_eq!(faq["answers"][0]["category"], "payment", "{faq}");
    assert!(faq["answers"][0]["id"].as_str().is_some());
    let typo = anonymous
        .ok(
            "search_faq",
            json!({"query": "delai de retuor", "category": "returns"}),
        )
        .await;
    assert!(
        typo["answers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["category"] == "returns")
    );
    assert!(!typo["answers"].as_array().unwrap().is_empty());
    assert!(
        anonymous
            .error("search_faq", json!({"query": "  "}))
            .await
            .contains("empty")
    );
    assert!(
        anonymous
            .error("search_faq", json!({"query": "x", "category": "jokes"}))
            .await
            .contains("invalid arguments")
    );
    let policy = anonymous
        .ok(
            "get_return_policy",
            json!({"productCategory": "canapes", "orderAge": 40}),
        )
        .await;
    assert_eq!(policy["withdrawalDays"], 30);
    assert_eq!(policy["withinPeriod"], false);
    assert!(policy["rules"].to_string().contains("59 €"), "{policy}");
    assert!(
        anonymous
            .error("get_return_policy", json!({"productCategory": "voitures"}))
            .await
            .contains("no category")
    );
    // find_order_for_support: staff, by e-mail, narrowed by a misspelt product name.
    let staff = connect(&app, "/mcp/support", Some(staff())).await;
    let found = staff
        .ok(
            "find_order_for_support",
            json!({"email": "ALICE@example.fr", "productName": "canape osloo"}),
        )
        .await;
    let numbers: Vec<&str> = found["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["orderNumber"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["ORD-AAAA0005", "ORD-AAAA0001"]);
    assert_eq!(
        found["matchedProducts"][0][0],
        "Canapé d'angle Oslo en velours"
    );
    let lamps = staff
        .ok(
            "find_order_for_support",
            json!({"orderNumber": "ord-bbbb0001", "productName": "lampes"}),
        )
        .await;
    assert_eq!(lamps["orders"].as_array().unwrap().len(), 1);
    assert!(
        staff
            .error("find_order_for_support", json!({"productName": "lampe"}))
            .await
            .contains("email")
    );
    assert!(
        staff
            .error("find_order_for_support", json!({"email": "nobody"}))
            .await
            .contains("e-mail")
    );
}

#[tokio::test]
async fn escalation_writes_one_ticket_per_conversation_and_reason() {
    let f = fixture();
    let app = f.app(&config());
    let alice = connect(&app, "/mcp/support", Some(customer("alice"))).await;
    let args = json!({"conversationId": "chat-42", "reason": "Colis abîmé, la cliente veut un échange", "priority": "high"});
    let first = alice.ok("escalate_to_human", args.clone()).await;
    assert!(first["ticketId"].as_str().unwrap().starts_with("tck_"));
    assert_eq!(
        (first["created"].clone(), first["priority"].clone()),
        (json!(true), json!("high"))
    );
    let again = alice.ok("escalate_to_human", args).await;
    assert_eq!(
        (again["ticketId"].clone(), again["created"].clone()),
        (first["ticketId"].clone(), json!(false))
    );
    let other = alice
        .ok("escalate_to_human", json!({"reason": "autre chose"}))
        .await;
    assert_ne!(other["ticketId"], first["ticketId"]);
    assert!(
        alice
            .error("escalate_to_human", json!({"reason": " "}))
            .await
            .contains("reason")
    );
    assert!(
        alice
            .error(
                "escalate_to_human",
                json!({"reason": "x", "priority": "asap"})
            )
            .await
            .contains("invalid arguments")
    );
    let state = vivr_search::state::State::open(&f.state_dir.path().join("state.db")).unwrap();
    let tickets = state.tickets(None).unwrap();
    assert_eq!(tickets.len(), 2);
    assert!(
        tickets
            .iter()
            .all(|t| t.subject.as_deref() == Some("alice"))
    );
}

#[tokio::test]
async fn lookups_are_limited_per_subject_and_address() {
    let f = fixture();
    let mut config = config();
    config.auth.lookups_per_minute = 3;
    let app = f.app(&config);
    let alice = connect(&app, "/mcp/orders", Some(customer("alice"))).await;
    for _ in 0..3 {
        alice
            .ok("get_order_status", json!({"orderId": "oa1"}))
            .await;
    }
    let (status, body) = alice
        .raw(
            "tools/call",
            json!({"name": "get_order_status", "arguments": {"orderId": "oa1"}}),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    // Public tools are not lookups.
    alice.ok("search_faq", json!({"query": "livraison"})).await;
}

#[tokio::test]
async fn a_customer_token_personalises_recommendations_for_its_own_user_only() {
    let f = fixture();
    let app = f.app(&config());
    let recommend = |token: &str, user: &str| {
        Request::post("/v1/recommend")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::from(
                json!({"kind": "personalized", "userId": user}).to_string(),
            ))
            .unwrap()
    };
    let (status, body) = send(&app, recommend(&customer("alice"), "alice")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = send(&app, recommend(&customer("alice"), "bob")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "user_auth_required");
}

#[tokio::test]
async fn jwks_keys_are_read_from_a_file_and_a_url_and_refreshed_on_an_unknown_kid() {
    let keys = common::fixture("auth");
    let sign = |alg: Algorithm, pem: &str, kid: &str| {
        let mut header = Header::new(alg);
        header.kid = Some(kid.to_owned());
        let pem = std::fs::read(keys.join(pem)).unwrap();
        let key = match alg {
            Algorithm::ES256 => EncodingKey::from_ec_pem(&pem).unwrap(),
            _ => EncodingKey::from_rsa_pem(&pem).unwrap(),
        };
        let now = Utc::now().timestamp();
        encode(&header, &json!({"sub": "alice", "scope": "orders:read", "iss": ISSUER, "aud": format!("{BASE}/mcp"), "exp": now + 300}), &key).unwrap()
    };
    let f = fixture();
    // A file.
    let mut config = Config::default();
    config.auth.jwks = Some(keys.join("jwks.json").display().to_string());
    config.auth.issuer = Some(ISSUER.into());
    let app = f.app(&config);
    for token in [
        sign(Algorithm::RS256, "rsa-a.pem", "rsa-a"),
        sign(Algorithm::ES256, "ec-c.pem", "ec-c"),
    ] {
        let alice = connect(&app, "/mcp", Some(token)).await;
        assert_eq!(
            alice
                .ok("get_order_status", json!({"orderId": "oa1"}))
                .await["orderNumber"],
            "ORD-AAAA0001"
        );
    }
    // A key signed with rsa-a but naming ec-c's kid fails its signature.
    let forged = {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("ec-c".into());
        let pem = std::fs::read(keys.join("rsa-a.pem")).unwrap();
        encode(&header, &json!({"sub": "alice", "aud": format!("{BASE}/mcp"), "iss": ISSUER, "exp": Utc::now().timestamp() + 60}), &EncodingKey::from_rsa_pem(&pem).unwrap()).unwrap()
    };
    let init = |token: &str| {
        message(
            "/mcp",
            Some(token),
            None,
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}),
            Some(0),
        )
    };
    assert_eq!(
        app.clone().oneshot(init(&forged)).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );

    // A URL, whose document gains a key (rotation): the unknown kid makes the server fetch it again.
    let served = std::sync::Arc::new(std::sync::Mutex::new(
        std::fs::read_to_string(keys.join("jwks.json")).unwrap(),
    ));
    let document = served.clone();
    let jwks_app = axum::Router::new().route(
        "/jwks.json",
        axum::routing::get(move || {
            let document = document.clone();
            async move { document.lock().unwrap().clone() }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, jwks_app).await.unwrap() });
    let mut config = Config::default();
    config.auth.jwks = Some(format!("http://{addr}/jwks.json"));
    config.auth.issuer = Some(ISSUER.into());
    // Fetched again on any unknown kid (the default waits 30 s between two fetches).
    config.auth.jwks_refresh_secs = 0;
    let app = f.app(&config);
    assert_eq!(
        app.clone()
            .oneshot(init(&sign(Algorithm::RS256, "rsa-a.pem", "rsa-a")))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    *served.lock().unwrap() = std::fs::read_to_string(keys.join("jwks-rotated.json")).unwrap();
    let rotated = sign(Algorithm::RS256, "rsa-b.pem", "rsa-b");
    assert_eq!(
        app.clone().oneshot(init(&rotated)).await.unwrap().status(),
        StatusCode::OK
    );
    // A kid no document has stays refused.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("nobody".into());
    let unknown = encode(
        &header,
        &json!({"aud": format!("{BASE}/mcp"), "exp": Utc::now().timestamp() + 60}),
        &EncodingKey::from_secret(b"k"),
    )
    .unwrap();
    assert_eq!(
        app.clone().oneshot(init(&unknown)).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn prompts_greet_and_announce_an_order_status_with_completion() {
    let f = fixture();
    let app = f.app(&config());
    let support = connect(&app, "/mcp/support", None).await;
    let (_, listed) = support.raw("prompts/list", json!({})).await;
    let names: Vec<&str> = listed["result"]["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "product_recommendation_response",
            "greeting",
            "order_status_response"
        ]
    );
    let (_, greeting) = support.raw("prompts/get", json!({"name": "greeting", "arguments": {"customerName": "Alice", "timeOfDay": "soir", "language": "fr"}})).await;
    assert!(
        greeting["result"]["messages"][0]["content"]["text"]
            .as_str()
            .unwrap()
            .contains("Bonsoir Alice"),
        "{greeting}"
    );
    let (_, refused) = support
        .raw(
            "prompts/get",
            json!({"name": "greeting", "arguments": {"language": "de"}}),
        )
        .await;
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("fr or en")
    );
    let (_, status) = support.raw("prompts/get", json!({"name": "order_status_response", "arguments": {"orderStatus": "SHIPPED", "trackingNumber": "6A1"}})).await;
    assert!(
        status["result"]["messages"][0]["content"]["text"]
            .as_str()
            .unwrap()
            .contains("expédiée")
    );
    let (_, completion) = support.raw("completion/complete", json!({"ref": {"type": "ref/prompt", "name": "order_status_response"}, "argument": {"name": "orderStatus", "value": "p"}})).await;
    assert_eq!(
        completion["result"]["completion"]["values"],
        json!(["PENDING", "PAID", "PROCESSING"])
    );
    let (_, completion) = support.raw("completion/complete", json!({"ref": {"type": "ref/prompt", "name": "greeting"}, "argument": {"name": "timeOfDay", "value": ""}})).await;
    assert_eq!(
        completion["result"]["completion"]["values"],
        json!(["matin", "après-midi", "soir"])
    );
}

#[tokio::test]
async fn the_import_keeps_the_lifecycle_and_the_users() {
    let f = fixture();
    let catalog = f.built.engine.catalog();
    use vivr_search::catalog::{OrderScope, OrderStatus};
    let order = catalog
        .order("ORD-AAAA0001", OrderScope::Customer("alice"))
        .unwrap()
        .unwrap();
    assert_eq!(order.status, OrderStatus::Delivered);
    assert_eq!(
        (order.carrier.as_deref(), order.country.as_str()),
        (Some("Geodis"), "FR")
    );
    assert!(order.delivered_at.is_some() && order.paid_at.is_some());
    let poster = order.lines[1].product.as_ref().unwrap();
    assert!(poster.personalised && poster.lead_time_days == Some(5));
    assert!(
        catalog
            .order("ORD-AAAA0001", OrderScope::Customer("bob"))
            .unwrap()
            .is_none()
    );
    assert_eq!(
        catalog.user("alice").unwrap().unwrap().name.as_deref(),
        Some("Alice Martin")
    );
    // A bad country or timestamp is rejected with its reason.
    let dir = tempfile::tempdir().unwrap();
    let export = export(dir.path());
    common::append(
        &export,
        "orders.ndjson",
        &[
            r#"{"id": "x1", "orderNumber": "ORD-XXXX0001", "userId": "u", "email": "u@x.fr", "status": "PAID", "total": 1.0, "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z", "items": [], "shippingCountry": "France"}"#,
            r#"{"id": "x2", "orderNumber": "ORD-XXXX0002", "userId": "u", "email": "u@x.fr", "status": "PAID", "total": 1.0, "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z", "items": [], "paidAt": "hier"}"#,
        ],
    );
    let replica = vivr_search::catalog::Catalog::open(&dir.path().join("c.db")).unwrap();
    let report = replica.import(&export, Default::default()).unwrap();
    let reasons: Vec<&str> = report.rejects.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons[0].contains("shippingCountry") && reasons[1].contains("paidAt"),
        "{reasons:?}"
    );
    assert_eq!(report.users.inserted, 2);
}

/// The webhook is down, the process restarts, the webhook comes back: the ticket arrives, and
/// every attempt carries the same idempotency key.
#[tokio::test]
async fn tickets_reach_the_webhook_after_it_was_down_and_a_restart() {
    use std::sync::{Arc, Mutex};
    use vivr_search::state::{NewTicket, Priority, State};
    let received: Arc<Mutex<Vec<(u16, String, Value)>>> = Arc::default();
    let up = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (log, switch) = (received.clone(), up.clone());
    let webhook = axum::Router::new().route(
        "/tickets",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::Json<Value>| {
                let (log, switch) = (log.clone(), switch.clone());
                async move {
                    let status = if switch.load(std::sync::atomic::Ordering::SeqCst) {
                        201
                    } else {
                        503
                    };
                    let key = headers["idempotency-key"].to_str().unwrap().to_owned();
                    log.lock().unwrap().push((status, key, body.0));
                    StatusCode::from_u16(status).unwrap()
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/tickets", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, webhook).await.unwrap() });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let http = reqwest::Client::new();
    let t0 = 1_800_000_000;
    let ticket = {
        let state = State::open(&path).unwrap();
        let (ticket, _) = state
            .escalate(
                &NewTicket {
                    conversation_id: Some("c1"),
                    reason: "retard",
                    priority: Priority::High,
                    subject: Some("alice"),
                },
                t0,
            )
            .unwrap();
        assert_eq!(
            state.deliver_due(&http, &url, t0).await.unwrap(),
            0,
            "the webhook is down"
        );
        ticket
        // The process stops here: the state database is closed.
    };
    let state = State::open(&path).unwrap();
    assert_eq!(
        state.deliver_due(&http, &url, t0 + 1).await.unwrap(),
        0,
        "not due before its retry time"
    );
    up.store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(state.deliver_due(&http, &url, t0 + 10).await.unwrap(), 1);
    assert_eq!(
        state.deliver_due(&http, &url, t0 + 3600).await.unwrap(),
        0,
        "delivered once"
    );
    let received = received.lock().unwrap();
    assert_eq!(received.len(), 2);
    assert!(
        received
            .iter()
            .all(|(_, key, body)| *key == ticket.id && body["ticketId"] == ticket.id.as_str())
    );
    assert_eq!((received[0].0, received[1].0), (503, 201));
}

/// Everything the process logs at debug level, for the check that logs hold no personal data.
fn captured_logs() -> &'static std::sync::Mutex<Vec<u8>> {
    use std::sync::{Mutex, OnceLock};
    static LOGS: OnceLock<&'static Mutex<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs: &'static Mutex<Vec<u8>> = Box::leak(Box::new(Mutex::new(Vec::new())));
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "debug,rmcp=warn,hyper=info,h2=info",
            ))
            .with_writer(move || Capture(logs))
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        logs
    })
}

struct Capture(&'static std::sync::Mutex<Vec<u8>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_hold_no_e_mail_address_or_order_number() {
    let logs = captured_logs();
    let f = fixture();
    let app = f.app(&config());
    let staff = connect(&app, "/mcp/support", Some(staff())).await;
    staff
        .ok(
            "find_order_for_support",
            json!({"email": "alice@example.fr", "orderNumber": "ORD-AAAA0001"}),
        )
        .await;
    staff
        .error("find_order_for_support", json!({"email": "not-an-address"}))
        .await;
    let alice = connect(&app, "/mcp/orders", Some(customer("alice"))).await;
    alice
        .ok("get_order_status", json!({"orderNumber": "ORD-AAAA0002"}))
        .await;
    alice
        .error("get_order_status", json!({"orderNumber": "ORD-BBBB0001"}))
        .await;
    alice
        .ok(
            "estimate_delivery",
            json!({"orderId": "ORD-AAAA0005", "postalCode": "75011"}),
        )
        .await;
    // A refused token is logged by its reason, never itself.
    let expired = token_with("alice", "orders:read", |c| {
        c["exp"] = json!(Utc::now().timestamp() - 600)
    });
    let response = app
        .clone()
        .oneshot(message("/mcp", Some(&expired), None, "initialize", json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}), Some(0)))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let text = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(
        text.contains("access token refused"),
        "the capture works: {text}"
    );
    for secret in [
        "@example.fr",
        "ORD-AAAA",
        "ORD-BBBB",
        "75011",
        expired.as_str(),
    ] {
        assert!(!text.contains(secret), "{secret} in the logs:\n{text}");
    }
}
