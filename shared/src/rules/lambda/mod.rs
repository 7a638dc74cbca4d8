//! Rules about Lambda functions.

mod memory_at_default;
mod timeout_at_default;
mod timeout_exceeds_api_limit;

use super::Rule;

pub const RULES: &[&dyn Rule] = &[
    &memory_at_default::MemoryAtDefault,
    &timeout_at_default::TimeoutAtDefault,
    &timeout_exceeds_api_limit::TimeoutExceedsApiLimit,
];
