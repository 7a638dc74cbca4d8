//! Rules about data stores: DynamoDB and DAX (`DDB-`), relational databases (`RDS-`).

mod common;
mod dax_cluster_single_node;
mod lambda_to_relational_db_without_cache;
mod provisioned_table_without_autoscaling;
mod read_heavy_table_without_cache;
mod relational_db_without_performance_insights;

use super::Rule;

pub const RULES: &[&dyn Rule] = &[
    &provisioned_table_without_autoscaling::ProvisionedTableWithoutAutoscaling,
    &read_heavy_table_without_cache::ReadHeavyTableWithoutCache,
    &dax_cluster_single_node::DaxClusterSingleNode,
    &lambda_to_relational_db_without_cache::LambdaToRelationalDbWithoutCache,
    &relational_db_without_performance_insights::RelationalDbWithoutPerformanceInsights,
];
