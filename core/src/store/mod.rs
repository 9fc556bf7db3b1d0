//! The store's own rules, as pure functions over dates and orders: French business days
//! ([`calendar`]), delivery windows ([`delivery`]), whether an order can be returned for a
//! refund ([`returns`]), and the FAQ and pages searchable in French ([`faq`]). The
//! order-management and customer-service tools (in progress) apply them.

pub mod calendar;
pub mod delivery;
pub mod faq;
pub mod returns;
