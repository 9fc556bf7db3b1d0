//! Which token may call which tool: the one table the HTTP edge (401 and 403 with their
//! challenge), `tools/list` (a caller sees what it may call) and `tools/call` read.

use crate::auth::{Principal, Scope};

/// What a tool needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Nothing: catalog tools, `search_faq`, `get_return_policy`.
    Public,
    /// A token with this scope.
    Scope(Scope),
}

/// What the tool `name` needs; an unknown tool is public (the server answers it is unknown).
pub fn need(name: &str) -> Need {
    match name {
        "get_order_status"
        | "get_user_orders"
        | "estimate_delivery"
        | "get_order_items"
        | "check_refund_eligibility"
        | "get_shipping_info" => Need::Scope(Scope::OrdersRead),
        "search_orders" | "find_order_for_support" => Need::Scope(Scope::OrdersReadAll),
        "escalate_to_human" => Need::Scope(Scope::SupportWrite),
        "get_sales_summary"
        | "get_top_products"
        | "get_inventory_insights"
        | "get_revenue_forecast"
        | "get_customer_analytics"
        | "get_search_insights"
        | "get_category_performance" => Need::Scope(Scope::AnalyticsRead),
        _ => Need::Public,
    }
}

/// Whether `principal` may call the tool `name`. `orders:read:all` includes `orders:read`.
pub fn allows(principal: &Principal, name: &str) -> bool {
    match need(name) {
        Need::Public => true,
        Need::Scope(Scope::OrdersRead) => {
            principal.has(Scope::OrdersReadAll)
                || (principal.has(Scope::OrdersRead) && principal.subject.is_some())
        }
        Need::Scope(scope) => principal.has(scope),
    }
}

/// Why `principal` may not call `name`, for the model; `None` when it may.
pub fn refusal(principal: &Principal, name: &str) -> Option<String> {
    match need(name) {
        _ if allows(principal, name) => None,
        Need::Scope(scope) => Some(format!(
            "{name} needs an access token with the {} scope: the customer must be signed in",
            scope.as_str()
        )),
        Need::Public => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Scopes;

    #[test]
    fn customers_staff_and_anonymous_callers_get_their_tools() {
        let anonymous = Principal::anonymous();
        let customer = Principal {
            subject: Some("user_1".into()),
            scopes: Scopes::parse("orders:read support:write"),
        };
        let staff = Principal {
            subject: Some("staff_1".into()),
            scopes: Scopes::parse("orders:read:all support:write"),
        };
        for public in ["search_products", "search_faq", "get_return_policy"] {
            assert!(allows(&anonymous, public));
        }
        for customer_tool in [
            "get_order_status",
            "check_refund_eligibility",
            "escalate_to_human",
        ] {
            assert!(!allows(&anonymous, customer_tool));
            assert!(allows(&customer, customer_tool) && allows(&staff, customer_tool));
        }
        for staff_tool in ["search_orders", "find_order_for_support"] {
            assert!(!allows(&customer, staff_tool) && allows(&staff, staff_tool));
        }
        let no_subject = Principal {
            subject: None,
            scopes: Scopes::parse("orders:read"),
        };
        assert!(!allows(&no_subject, "get_order_status"), "whose orders?");
        assert!(
            refusal(&anonymous, "get_order_status")
                .unwrap()
                .contains("orders:read")
        );
    }
}
