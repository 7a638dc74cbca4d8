//! Rules about operations: alarms, logs, notifications and audit.

mod codebuild_without_failure_notifications;
mod custom_rotation_function_for_database_secret;
mod dlq_without_depth_alarm;
mod function_logs_kept_forever;
mod no_alarms_on_throttles_errors_or_dlq;
mod secrets_without_audit_trail;

use super::Rule;

pub const RULES: &[&dyn Rule] = &[
    &no_alarms_on_throttles_errors_or_dlq::NoAlarmsOnThrottlesErrorsOrDlq,
    &dlq_without_depth_alarm::DlqWithoutDepthAlarm,
    &function_logs_kept_forever::FunctionLogsKeptForever,
    &codebuild_without_failure_notifications::CodebuildWithoutFailureNotifications,
    &secrets_without_audit_trail::SecretsWithoutAuditTrail,
    &custom_rotation_function_for_database_secret::CustomRotationFunctionForDatabaseSecret,
];
