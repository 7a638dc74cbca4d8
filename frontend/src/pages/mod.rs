//! One component per page.

pub mod analyze;
pub mod knowledge;
pub mod review;
pub mod rules;
