//! Rules about messaging: SQS, SNS, EventBridge, Kinesis and stream event sources.

pub(crate) mod common;

mod eventbridge_target_without_dlq;
mod queue_consumed_by_fixed_size_service;
mod queue_without_redrive_policy;
mod single_shard_stream_with_consumers;
mod sns_subscription_without_dlq;
mod sqs_batch_without_partial_failure_reporting;
mod stream_mapping_without_failure_handling;
mod visibility_timeout_below_six_times_function_timeout;

use super::Rule;

pub const RULES: &[&dyn Rule] = &[
    &queue_without_redrive_policy::QueueWithoutRedrivePolicy,
    &visibility_timeout_below_six_times_function_timeout::VisibilityTimeoutBelowSixTimesFunctionTimeout,
    &sqs_batch_without_partial_failure_reporting::SqsBatchWithoutPartialFailureReporting,
    &queue_consumed_by_fixed_size_service::QueueConsumedByFixedSizeService,
    &sns_subscription_without_dlq::SnsSubscriptionWithoutDlq,
    &eventbridge_target_without_dlq::EventbridgeTargetWithoutDlq,
    &single_shard_stream_with_consumers::SingleShardStreamWithConsumers,
    &stream_mapping_without_failure_handling::StreamMappingWithoutFailureHandling,
];
