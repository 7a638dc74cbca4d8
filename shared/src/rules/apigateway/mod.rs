//! Rules about API Gateway: REST APIs (`AWS::ApiGateway::RestApi`, `AWS::Serverless::Api`) and
//! HTTP APIs (`AWS::ApiGatewayV2::Api`, `AWS::Serverless::HttpApi`).

mod api_proxies_to_public_load_balancer;
pub(crate) mod common;
mod edge_optimized_endpoint;
mod get_methods_without_caching;
mod no_payload_compression;
mod pass_through_function;
mod rest_api_where_http_api_would_do;
mod rest_api_without_tracing;
mod stage_without_throttling;
mod vpc_link_integration_keepalive;

use super::Rule;

pub const RULES: &[&dyn Rule] = &[
    &rest_api_where_http_api_would_do::RestApiWhereHttpApiWouldDo,
    &edge_optimized_endpoint::EdgeOptimizedEndpoint,
    &get_methods_without_caching::GetMethodsWithoutCaching,
    &no_payload_compression::NoPayloadCompression,
    &stage_without_throttling::StageWithoutThrottling,
    &pass_through_function::PassThroughFunction,
    &rest_api_without_tracing::RestApiWithoutTracing,
    &api_proxies_to_public_load_balancer::ApiProxiesToPublicLoadBalancer,
    &vpc_link_integration_keepalive::VpcLinkIntegrationKeepalive,
];
