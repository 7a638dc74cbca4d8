//! Rules about apigateway.

use super::Rule;

pub const RULES: &[&dyn Rule] = &[];
