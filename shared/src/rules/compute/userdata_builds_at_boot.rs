use crate::declare_rule;
use crate::rules::{Ctx, Diagnostic, Fix};
use crate::template::Resource;
use crate::yaml::Node;

use super::common::raw_text;

declare_rule! {
    /// ## What it does
    /// Flags EC2 instances, launch templates and launch configurations whose `UserData` installs
    /// or builds software at boot (`yum`/`dnf`/`apt-get install`, `pip install`, `npm ci`,
    /// `git clone`, Maven/Gradle builds, `curl … | bash`, …), including packages installed by
    /// `cfn-init` from the resource's `AWS::CloudFormation::Init` metadata. The script is read
    /// through `Fn::Base64`, `Fn::Sub` and `Fn::Join`, even where parts are only known at deploy
    /// time. Installing only the CloudFormation helper scripts is not reported.
    ///
    /// ## Why is this bad?
    /// UserData runs as root on the first boot of every instance. Each scale-out therefore repeats
    /// the downloads and builds while the load that triggered it waits: instances take minutes to
    /// pass health checks, and a package mirror, Git host or registry outage turns into failed
    /// launches. Baking the software into an AMI (EC2 Image Builder) does that work once, so a new
    /// instance only boots and starts its service, and every instance runs identical bits.
    ///
    /// ## Example
    /// ```yaml
    /// Resources:
    ///   WebTemplate:
    ///     Type: AWS::EC2::LaunchTemplate
    ///     Properties:
    ///       LaunchTemplateData:
    ///         ImageId: ami-0123456789abcdef0
    ///         UserData:
    ///           Fn::Base64: !Sub |
    ///             #!/bin/bash
    ///             yum install -y nodejs git
    ///             git clone https://github.com/example/shop.git /opt/shop
    ///             cd /opt/shop && npm ci && npm run build
    ///             /opt/aws/bin/cfn-signal -e $? --stack ${AWS::StackName} --resource WebGroup --region ${AWS::Region}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Parameters:
    ///   ShopAmi:
    ///     Type: AWS::EC2::Image::Id
    ///     Description: AMI baked by EC2 Image Builder with the current release
    /// Resources:
    ///   WebTemplate:
    ///     Type: AWS::EC2::LaunchTemplate
    ///     Properties:
    ///       LaunchTemplateData:
    ///         ImageId: !Ref ShopAmi
    ///         UserData:
    ///           Fn::Base64: !Sub |
    ///             #!/bin/bash
    ///             systemctl start shop
    ///             /opt/aws/bin/cfn-signal -e $? --stack ${AWS::StackName} --resource WebGroup --region ${AWS::Region}
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html
    /// - https://docs.aws.amazon.com/imagebuilder/latest/userguide/what-is-image-builder.html
    /// - https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-warm-pools.html
    pub UserdataBuildsAtBoot {
        code: "INSTANCE-001",
        name: "userdata-builds-at-boot",
        severity: Medium,
        pillar: Performance,
        symptoms: ["slow-scale-out"],
        remedies: ["ec2-prebaked-ami"],
    }
}

/// Packages that only bootstrap CloudFormation or install small AWS agents; installing them
/// alone is not "building at boot".
const BOOTSTRAP_PACKAGES: &[&str] = &[
    "aws-cfn-bootstrap",
    "cfn-bootstrap",
    "hibagent",
    "awslogs",
    "amazon-ssm-agent",
    "amazon-cloudwatch-agent",
    "amazon-efs-utils",
    "ec2-instance-connect",
];

/// Whether a package argument (a name, or an `.rpm`/`.deb` URL or path) is a bootstrap package.
fn is_bootstrap(package: &str) -> bool {
    let base = package.rsplit('/').next().unwrap_or(package);
    let base = base.trim_end_matches(".rpm").trim_end_matches(".deb");
    BOOTSTRAP_PACKAGES.iter().any(|b| base == *b || (base.starts_with(b) && package.contains('/')))
}

/// Words that are options or noise after an install verb.
fn is_flag(word: &str) -> bool {
    word.starts_with('-') || word.is_empty()
}

/// Whether one shell command (no `&&`, `;` or `|` left) installs or builds software.
pub(crate) fn heavy_command(command: &str) -> bool {
    let words: Vec<String> = command
        .split_whitespace()
        .map(|w| w.trim_matches(|c| c == '\'' || c == '"' || c == '(' || c == ')').to_ascii_lowercase())
        .collect();
    let mut i = 0;
    // Skip `sudo`, `env`, `VAR=value` and `time` prefixes.
    while i < words.len() && (matches!(words[i].as_str(), "sudo" | "env" | "time" | "nohup" | "exec") || (words[i].contains('=') && !words[i].starts_with('-'))) {
        i += 1;
    }
    let Some(first) = words.get(i) else { return false };
    let tool = first.rsplit('/').next().unwrap_or(first);
    let rest: Vec<&str> = words[i + 1..].iter().map(String::as_str).collect();
    let verb = rest.iter().find(|w| !is_flag(w)).copied().unwrap_or("");
    let args_after = |v: &str| -> Vec<&str> {
        rest.iter().skip_while(|w| **w != v).skip(1).filter(|w| !is_flag(w)).copied().collect()
    };
    let installs_more_than_bootstrap = |v: &str| {
        let pkgs = args_after(v);
        pkgs.is_empty() && v != "install" || pkgs.iter().any(|p| !is_bootstrap(p))
    };
    match tool {
        "yum" | "dnf" | "zypper" => match verb {
            "install" | "groupinstall" | "localinstall" => installs_more_than_bootstrap(verb),
            "update" | "upgrade" => installs_more_than_bootstrap(verb),
            _ => false,
        },
        "apt-get" | "apt" => matches!(verb, "install" | "upgrade" | "dist-upgrade" | "full-upgrade") && installs_more_than_bootstrap(verb),
        "apk" => verb == "add",
        "amazon-linux-extras" => verb == "install",
        "pip" | "pip3" | "pip2" | "easy_install" => verb == "install" && installs_more_than_bootstrap("install"),
        "python" | "python3" => rest.windows(3).any(|w| w[0] == "-m" && w[1] == "pip" && w[2] == "install"),
        "npm" | "pnpm" => matches!(verb, "install" | "i" | "ci") || (verb == "run" && args_after("run").first().is_some_and(|t| t.starts_with("build"))),
        "yarn" => matches!(verb, "" | "install" | "build"),
        "git" => verb == "clone",
        "mvn" | "mvnw" | "./mvnw" => true,
        "gradle" | "gradlew" => true,
        "make" | "cmake" => true,
        "go" => matches!(verb, "build" | "install" | "get"),
        "cargo" => matches!(verb, "build" | "install"),
        "dotnet" => matches!(verb, "build" | "publish" | "restore"),
        "gem" | "bundle" | "bundler" | "composer" => verb == "install",
        "docker" => verb == "build",
        "snap" => verb == "install",
        _ => false,
    }
}

/// Commands of a script that install or build software, in order.
pub(crate) fn heavy_commands(script: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in script.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        // `curl -fsSL https://… | bash`: running a downloaded installer.
        let lower = line.to_ascii_lowercase();
        if (lower.contains("curl ") || lower.contains("wget ")) && ["| bash", "|bash", "| sh", "|sh", "| sudo bash", "| sudo sh", "| sudo -e bash"].iter().any(|p| lower.contains(p)) {
            found.push(line.to_string());
            continue;
        }
        for segment in line.split("&&").flat_map(|s| s.split("||")).flat_map(|s| s.split(';')).flat_map(|s| s.split('|')) {
            let segment = segment.trim();
            if heavy_command(segment) {
                found.push(segment.to_string());
            }
        }
    }
    found
}

/// Packages `cfn-init` installs from a resource's `AWS::CloudFormation::Init` metadata (all
/// config sets), bootstrap helpers left out, as `yum: httpd, php`, and its install or build
/// `commands` (as `commands: \`npm ci\``).
fn cfn_init_packages(ctx: &Ctx<'_>, r: &Resource) -> Vec<String> {
    let mut by_manager: Vec<(String, Vec<String>)> = Vec::new();
    let Some(init) = r.metadata.as_ref().and_then(|m| m.get("AWS::CloudFormation::Init")).and_then(Node::as_map) else { return Vec::new() };
    for (name, config) in init {
        if name.name == "configSets" {
            continue;
        }
        for (_, command) in config.get("commands").and_then(Node::as_map).unwrap_or(&[]) {
            let text = command.get("command").and_then(|c| match c.as_seq() {
                Some(words) => Some(words.iter().filter_map(|w| raw_text(ctx, w)).collect::<Vec<_>>().join(" ")),
                None => raw_text(ctx, c),
            });
            for c in heavy_commands(&text.unwrap_or_default()) {
                match by_manager.iter_mut().find(|(m, _)| m == "commands") {
                    Some((_, list)) => list.push(format!("`{c}`")),
                    None => by_manager.push(("commands".into(), vec![format!("`{c}`")])),
                }
            }
        }
        let Some(managers) = config.get("packages").and_then(Node::as_map) else { continue };
        for (manager, packages) in managers {
            let names: Vec<String> = match &packages.value {
                crate::yaml::Value::Map(entries) => entries.iter().map(|(k, _)| k.name.clone()).collect(),
                crate::yaml::Value::Seq(items) => items.iter().filter_map(|n| ctx.resolver.value(n).text()).collect(),
                _ => Vec::new(),
            };
            let names = names.into_iter().filter(|n| !is_bootstrap(n));
            match by_manager.iter_mut().find(|(m, _)| *m == manager.name) {
                Some((_, list)) => list.extend(names),
                None => by_manager.push((manager.name.clone(), names.collect())),
            }
        }
    }
    by_manager.into_iter().filter(|(_, names)| !names.is_empty()).map(|(m, names)| format!("{m}: {}", names.join(", "))).collect()
}

/// The resource whose metadata `cfn-init --resource X` reads (the resource itself by default).
fn cfn_init_resource<'a>(ctx: &Ctx<'a>, script: &str, own: &'a Resource) -> Option<&'a Resource> {
    let line = script.lines().find(|l| l.contains("cfn-init") && !l.trim_start().starts_with('#'))?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let named = words.windows(2).find(|w| w[0] == "--resource" || w[0] == "-r").map(|w| w[1].trim_matches(|c| c == '\'' || c == '"'));
    match named {
        Some(id) => ctx.template.resource(id),
        None => Some(own),
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 100 { format!("{}…", s.chars().take(99).collect::<String>()) } else { s.to_string() }
}

impl UserdataBuildsAtBoot {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for r in ctx.resources(&["AWS::EC2::Instance", "AWS::EC2::LaunchTemplate", "AWS::AutoScaling::LaunchConfiguration"]) {
            let path: &[&str] = if r.type_name == "AWS::EC2::LaunchTemplate" { &["LaunchTemplateData", "UserData"] } else { &["UserData"] };
            let Some(node) = ctx.node(r, path) else { continue };
            let Some(script) = raw_text(ctx, node) else { continue };
            let commands = heavy_commands(&script);
            let init_packages = cfn_init_resource(ctx, &script, r).map(|m| cfn_init_packages(ctx, m)).unwrap_or_default();
            if commands.is_empty() && init_packages.is_empty() {
                continue;
            }
            let mut what: Vec<String> = commands.iter().take(3).map(|c| format!("`{}`", shorten(c))).collect();
            if commands.len() > 3 {
                what.push(format!("{} more", commands.len() - 3));
            }
            if !init_packages.is_empty() {
                what.push(format!("cfn-init {}", init_packages.join("; ")));
            }
            let mut d = ctx.diag(r, path, format!(
                "{}'s UserData installs or builds software on first boot ({}): every new instance repeats this before it can serve, which slows each scale-out and fails launches when a mirror or repository is down",
                r.id,
                what.join(", ")
            ));
            for c in commands.iter().take(3) {
                d.evidence.push(format!("UserData runs: {}", shorten(c)));
            }
            if commands.len() > 3 {
                d.evidence.push(format!("and {} more install/build commands", commands.len() - 3));
            }
            for p in &init_packages {
                d.evidence.push(format!("cfn-init installs {p}"));
            }
            d.evidence.push("UserData runs as root on the first boot of every instance".into());
            d.fix = Some(Fix::new(
                "Bake packages, dependencies and the application into an AMI with EC2 Image Builder; keep UserData for instance-specific configuration",
                "ImageId: !Ref BakedAmiId   # built by EC2 Image Builder\nUserData:\n  Fn::Base64: !Sub |\n    #!/bin/bash\n    systemctl start app",
            ));
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_install_and_build_commands() {
        for c in ["yum install -y httpd", "sudo apt-get -y install nginx", "pip3 install -r requirements.txt", "npm ci", "git clone https://x/y.git", "./gradlew build", "mvn -q package", "python3 -m pip install boto3", "yum update -y"] {
            assert!(heavy_command(c), "{c}");
        }
        for c in ["yum install -y aws-cfn-bootstrap", "yum update -y aws-cfn-bootstrap", "yum install -y https://s3.amazonaws.com/ec2-downloads-windows/SSMAgent/latest/linux_amd64/amazon-ssm-agent.rpm", "apt-get update", "echo npm ci", "systemctl start app", "/opt/aws/bin/cfn-init -v"] {
            assert!(!heavy_command(c), "{c}");
        }
        let found = heavy_commands("#!/bin/bash\n# yum install -y commented\ncd /opt/app && npm ci && npm run build\ncurl -sL https://deb.nodesource.com/setup_20.x | sudo bash -\n");
        assert_eq!(found, vec!["npm ci", "npm run build", "curl -sL https://deb.nodesource.com/setup_20.x | sudo bash -"]);
    }

    fn findings(text: &str) -> Vec<crate::analysis::Finding> {
        crate::analysis::analyze(text, &Default::default()).unwrap().findings.into_iter().filter(|f| f.rule == "INSTANCE-001").collect()
    }

    #[test]
    fn reads_userdata_through_base64_sub_and_join() {
        let found = findings("
Parameters:
  Repo: {Type: String}
Resources:
  Web:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-1
      UserData:
        Fn::Base64: !Sub |
          #!/bin/bash -xe
          yum install -y git
          git clone ${Repo} /opt/app
          /opt/aws/bin/cfn-signal -e $? --stack ${AWS::StackName} --resource Web --region ${AWS::Region}
  Worker:
    Type: AWS::AutoScaling::LaunchConfiguration
    Properties:
      ImageId: ami-1
      InstanceType: t3.micro
      UserData: !Base64
        Fn::Join: ['', [\"#!/bin/bash\\n\", 'pip install celery==', !Ref Repo, \"\\n\"]]
");
        let by: Vec<(&str, &str)> = found.iter().map(|f| (f.resource.as_deref().unwrap_or(""), f.message.as_str())).collect();
        assert_eq!(found.len(), 2, "{by:?}");
        assert!(by[0].1.contains("yum install -y git") && by[0].1.contains("git clone ${?} /opt/app"), "{by:?}");
        assert!(found[1].evidence.iter().any(|e| e.contains("pip install celery==${?}")), "{:?}", found[1].evidence);
    }

    #[test]
    fn cfn_init_packages_count_but_bootstrap_alone_does_not() {
        let base = "
Resources:
  Lt:
    Type: AWS::EC2::LaunchTemplate
    Metadata:
      AWS::CloudFormation::Init:
        config:
          packages:
            yum: {PKGS}
    Properties:
      LaunchTemplateData:
        UserData:
          Fn::Base64: !Sub |
            #!/bin/bash
            yum install -y aws-cfn-bootstrap
            /opt/aws/bin/cfn-init -v --stack ${AWS::StackName} --resource Lt --region ${AWS::Region}
";
        assert!(findings(&base.replace("{PKGS}", "{aws-cfn-bootstrap: []}")).is_empty());
        let found = findings(&base.replace("{PKGS}", "{httpd: [], php: []}"));
        assert_eq!(found.len(), 1);
        assert!(found[0].message.contains("cfn-init yum: httpd, php"), "{}", found[0].message);
    }
}
