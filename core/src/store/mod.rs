//! The store's own rules, as pure functions over dates and orders: French business days
//! ([`calendar`]), delivery windows ([`delivery`]) and whether an order can be returned for a
//! refund ([`returns`]). The order-management and customer-service tools (in progress) apply
//! them.

pub mod calendar;
pub mod delivery;
pub mod returns;
