//! Helpers shared by the DynamoDB and relational database rules.

use crate::template::resolve::references;
use crate::yaml::Node;

pub const TABLE_TYPES: &[&str] = &["AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"];
pub const DB_TYPES: &[&str] = &["AWS::RDS::DBInstance", "AWS::RDS::DBCluster"];

/// Resource ids a node refers to, in order, unique.
pub fn refs(node: &Node) -> Vec<String> {
    let mut out = Vec::new();
    references(node, &mut out);
    let mut ids: Vec<String> = Vec::new();
    for (id, _) in out {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// "A, B and C" (at most `max` names, then "and N more").
pub fn names(list: &[String], max: usize) -> String {
    let shown: Vec<&str> = list.iter().take(max).map(String::as_str).collect();
    let rest = list.len().saturating_sub(max);
    match (shown.len(), rest) {
        (0, _) => String::new(),
        (1, 0) => shown[0].to_string(),
        (_, 0) => format!("{} and {}", shown[..shown.len() - 1].join(", "), shown[shown.len() - 1]),
        (_, n) => format!("{} and {n} more", shown.join(", ")),
    }
}

pub use crate::rules::apigateway::common::{items, str_at, value_at};
