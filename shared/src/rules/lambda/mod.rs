//! Rules about Lambda functions.

mod api_function_long_timeout;
mod api_without_provisioned_concurrency;
mod async_without_failure_destination;
mod code_uri_whole_project;
mod common;
mod database_without_concurrency_limit;
mod function_on_x86_64;
mod function_without_active_tracing;
mod functions_without_insights;
mod functions_without_powertools;
mod java_without_snapstart;
mod memory_at_default;
mod memory_far_above_typical;
mod provisioned_concurrency_without_alias;
mod synchronous_function_chain;
mod timeout_at_default;
mod timeout_exceeds_api_limit;
mod too_many_layers;

use super::Rule;

pub const RULES: &[&dyn Rule] = &[
    &memory_at_default::MemoryAtDefault,
    &timeout_at_default::TimeoutAtDefault,
    &timeout_exceeds_api_limit::TimeoutExceedsApiLimit,
    &function_on_x86_64::FunctionOnX8664,
    &java_without_snapstart::JavaWithoutSnapstart,
    &function_without_active_tracing::FunctionWithoutActiveTracing,
    &async_without_failure_destination::AsyncWithoutFailureDestination,
    &too_many_layers::TooManyLayers,
    &code_uri_whole_project::CodeUriWholeProject,
    &api_without_provisioned_concurrency::ApiWithoutProvisionedConcurrency,
    &provisioned_concurrency_without_alias::ProvisionedConcurrencyWithoutAlias,
    &database_without_concurrency_limit::DatabaseWithoutConcurrencyLimit,
    &memory_far_above_typical::MemoryFarAboveTypical,
    &synchronous_function_chain::SynchronousFunctionChain,
    &api_function_long_timeout::ApiFunctionLongTimeout,
    &functions_without_insights::FunctionsWithoutInsights,
    &functions_without_powertools::FunctionsWithoutPowertools,
];
