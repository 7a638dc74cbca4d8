//! Helpers shared by the DynamoDB and relational database rules.


pub const TABLE_TYPES: &[&str] = &["AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"];
pub const DB_TYPES: &[&str] = &["AWS::RDS::DBInstance", "AWS::RDS::DBCluster"];

pub use crate::template::resolve::referenced_ids as refs;

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
