//! The `archlens` binary as a user runs it.

use std::process::Command;

fn archlens(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_archlens")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn knowledge_summary_and_one_node() {
    let (code, out, _) = archlens(&["knowledge"]);
    assert_eq!(code, 0);
    assert!(out.contains("58 remedies") || out.contains("remedies,"), "{out}");
    assert!(out.contains("lambda-throttling"));
    let (code, out, _) = archlens(&["knowledge", "dynamodb-dax"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("remedy dynamodb-dax"), "{out}");
    assert!(out.contains("Trade-offs") && out.contains("AWS::DAX::Cluster"), "{out}");
    let (code, out, _) = archlens(&["knowledge", "AWS/Lambda/Throttles", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["kind"], "metric");
}

#[test]
fn unknown_knowledge_node_exits_2_with_a_hint() {
    let (code, _, err) = archlens(&["knowledge", "dax"]);
    assert_eq!(code, 2);
    assert!(err.contains("no knowledge node `dax`") && err.contains("dynamodb-dax"), "{err}");
}
