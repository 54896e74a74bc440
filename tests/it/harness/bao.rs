//! OpenBao as the tests use it: the dev server `scripts/test.sh` started
//! (BSCRED_TEST_BAO_ADDR, BSCRED_TEST_BAO_TOKEN), private dev servers and
//! a 3-node raft cluster a test starts and kills itself, and the `bao` CLI
//! reading and writing KV secrets from outside. Values go to `bao` on
//! stdin (`NAME=-`), never in argv; tokens go in its environment.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::random::Rng;

/// The `bao` binary scripts/test.sh installed.
pub fn binary() -> Option<PathBuf> {
    std::env::var_os("BSCRED_TEST_BAO").map(PathBuf::from)
}

/// Whether the test command started OpenBao. Skips by hand, fails under CI.
pub fn have_bao() -> bool {
    let found = binary().is_some()
        && std::env::var_os("BSCRED_TEST_BAO_ADDR").is_some()
        && std::env::var_os("BSCRED_TEST_BAO_TOKEN").is_some();
    super::available(
        found,
        "no OpenBao server (run the tests through scripts/test.sh, which starts one)",
    )
}

/// A server the tests talk to: its address and a root token.
pub struct Server {
    pub addr: String,
    pub token: String,
    /// Set for servers this test started (stopped when dropped).
    child: Option<Child>,
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    /// The shared dev server of scripts/test.sh.
    pub fn shared() -> Server {
        Server {
            addr: std::env::var("BSCRED_TEST_BAO_ADDR").expect("BSCRED_TEST_BAO_ADDR"),
            token: std::env::var("BSCRED_TEST_BAO_TOKEN").expect("BSCRED_TEST_BAO_TOKEN"),
            child: None,
            _dir: None,
        }
    }

    /// A private dev server (in memory) on a free port, for tests that
    /// stop, seal or otherwise break it.
    pub fn dev() -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port_pair();
        let token = format!(
            "root-{:016x}",
            Rng::new(u64::from(port) ^ u64::from(std::process::id())).next()
        );
        let child = Command::new(binary().expect("bao"))
            .args(["server", "-dev"])
            .arg(format!("-dev-listen-address=127.0.0.1:{port}"))
            .env_clear()
            .env("HOME", dir.path())
            .env("BAO_DEV_ROOT_TOKEN_ID", &token)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start bao server -dev");
        let server = Server {
            addr: format!("http://127.0.0.1:{port}"),
            token,
            child: Some(child),
            _dir: Some(dir),
        };
        server.wait_ready(Duration::from_secs(20));
        server
    }

    fn wait_ready(&self, within: Duration) {
        let deadline = Instant::now() + within;
        while !self.bao(&["status"]).status.success() {
            assert!(Instant::now() < deadline, "{} did not start", self.addr);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `bao ARGS` against this server with its root token.
    pub fn bao(&self, args: &[&str]) -> std::process::Output {
        self.bao_with(args, &self.token, b"")
    }

    /// `bao ARGS` with `token` and `stdin`.
    pub fn bao_with(&self, args: &[&str], token: &str, stdin: &[u8]) -> std::process::Output {
        let mut child = Command::new(binary().expect("bao"))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("BAO_ADDR", &self.addr)
            .env("BAO_TOKEN", token)
            .env("HOME", std::env::temp_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("bao runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin)
            .expect("write stdin");
        child.wait_with_output().expect("bao finishes")
    }

    /// The fields of the KV v2 secret `path` as `bao kv get` shows them.
    pub fn kv_get(&self, path: &str) -> serde_json::Value {
        let out = self.bao(&["kv", "get", "-format=json", path]);
        assert!(
            out.status.success(),
            "bao kv get {path}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        json["data"]["data"].clone()
    }

    /// `bao kv patch PATH NAME=-` with `value` on stdin.
    pub fn kv_patch(&self, path: &str, name: &str, value: &str) {
        let arg = format!("{name}=-");
        let out = self.bao_with(&["kv", "patch", path, &arg], &self.token, value.as_bytes());
        assert!(
            out.status.success(),
            "bao kv patch: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A token whose policy grants nothing on the KV mount.
    pub fn powerless_token(&self) -> String {
        let out = self.bao(&[
            "token",
            "create",
            "-policy=default",
            "-no-default-policy=false",
            "-field=token",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .trim()
            .to_string()
    }

    /// Runs `bao ARGS` with the root token and `stdin`, asserting success;
    /// its stdout, trimmed.
    pub fn bao_ok(&self, args: &[&str], stdin: &[u8]) -> String {
        let out = self.bao_with(args, &self.token, stdin);
        assert!(
            out.status.success(),
            "bao {}: {}",
            args.first().copied().unwrap_or_default(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .trim()
            .to_string()
    }

    /// A policy named `name` granting what a bscred profile needs on the
    /// KV paths under `secret/bscred-tests/` (and nothing else).
    pub fn kv_policy(&self, name: &str) {
        let hcl = "path \"secret/data/bscred-tests/*\" {\n  capabilities = [\"create\", \"read\", \"update\", \"patch\"]\n}\n\
                   path \"secret/metadata/bscred-tests/*\" {\n  capabilities = [\"read\"]\n}\n";
        self.bao_ok(&["policy", "write", name, "-"], hcl.as_bytes());
    }

    /// Enables the auth method `kind` at a mount of its own (the shared
    /// server serves every test), returning the mount.
    pub fn enable_auth(&self, kind: &str) -> String {
        let mount = unique_path(kind)
            .rsplit('/')
            .next()
            .expect("a name")
            .to_string();
        self.bao_ok(&["auth", "enable", &format!("-path={mount}"), kind], b"");
        mount
    }

    /// Stops a server this test started, and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A unique KV path on the `secret/` mount, so tests never share one.
pub fn unique_path(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    format!(
        "secret/bscred-tests/{test}-{}-{nanos:x}",
        std::process::id()
    )
}

/// A free loopback port whose successor is free too: every OpenBao
/// listener also binds PORT+1 for cluster traffic.
pub fn free_port_pair() -> u16 {
    loop {
        let a = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = a.local_addr().expect("addr").port();
        if port < u16::MAX && TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
}

/// A three-node raft cluster on loopback, initialised and unsealed, with
/// KV v2 at `secret/`.
pub struct Cluster {
    pub nodes: Vec<Node>,
    pub token: String,
    _dir: tempfile::TempDir,
}

pub struct Node {
    pub addr: String,
    child: Option<Child>,
}

impl Node {
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            node.kill();
        }
    }
}

fn raw_bao(addr: &str, token: &str, args: &[&str], stdin: &[u8]) -> std::process::Output {
    Server {
        addr: addr.to_string(),
        token: token.to_string(),
        child: None,
        _dir: None,
    }
    .bao_with(args, token, stdin)
}

impl Cluster {
    pub fn start() -> Cluster {
        let dir = tempfile::tempdir().expect("tempdir");
        let ports: Vec<u16> = (0..3).map(|_| free_port_pair()).collect();
        let joins: String = ports
            .iter()
            .map(|p| {
                format!("  retry_join {{\n    leader_api_addr = \"http://127.0.0.1:{p}\"\n  }}\n")
            })
            .collect();
        let mut nodes = Vec::new();
        for (i, port) in ports.iter().enumerate() {
            let data = dir.path().join(format!("n{i}"));
            std::fs::create_dir_all(&data).expect("mkdir");
            let config = dir.path().join(format!("n{i}.hcl"));
            std::fs::write(
                &config,
                format!(
                    // performance_multiplier = 1: raft's production timing
                    // (the default 5) gives an election after a leader's
                    // death several seconds; loopback needs no slack.
                    "storage \"raft\" {{\n  path = \"{}\"\n  node_id = \"n{i}\"\n  performance_multiplier = 1\n{joins}}}\n\
                     listener \"tcp\" {{\n  address = \"127.0.0.1:{port}\"\n  cluster_address = \"127.0.0.1:{}\"\n  tls_disable = true\n}}\n\
                     api_addr = \"http://127.0.0.1:{port}\"\ncluster_addr = \"http://127.0.0.1:{}\"\n\
                     disable_mlock = true\n",
                    data.display(),
                    port + 1,
                    port + 1
                ),
            )
            .expect("write config");
            let log = std::fs::File::create(dir.path().join(format!("n{i}.log"))).expect("log");
            let child = Command::new(binary().expect("bao"))
                .arg("server")
                .arg(format!("-config={}", config.display()))
                .env_clear()
                .env("HOME", dir.path())
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log"))
                .stderr(log)
                .spawn()
                .expect("start a raft node");
            nodes.push(Node {
                addr: format!("http://127.0.0.1:{port}"),
                child: Some(child),
            });
        }
        // Initialise the first node once it listens, then unseal all three
        // with the one key share (the others join through retry_join).
        let deadline = Instant::now() + Duration::from_secs(30);
        let init = loop {
            let out = raw_bao(
                &nodes[0].addr,
                "",
                &[
                    "operator",
                    "init",
                    "-key-shares=1",
                    "-key-threshold=1",
                    "-format=json",
                ],
                b"",
            );
            if out.status.success() {
                break out;
            }
            assert!(
                Instant::now() < deadline,
                "node 0 never initialised: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        let init: serde_json::Value = serde_json::from_slice(&init.stdout).expect("json");
        let key = init["unseal_keys_b64"][0]
            .as_str()
            .expect("key")
            .to_string();
        let token = init["root_token"].as_str().expect("token").to_string();
        let cluster = Cluster {
            nodes,
            token,
            _dir: dir,
        };
        // Autopilot adds a joining node as a non-voter and promotes it only
        // after it has been healthy for `server_stabilization_time` (10 s by
        // default). A leader killed before then leaves no voter to elect a
        // new one ("not part of stable configuration, aborting election"),
        // and the standbys redirect to the dead node for ever.
        let deadline = Instant::now() + Duration::from_secs(30);
        cluster.unseal(&cluster.nodes[0], &key);
        loop {
            let out = cluster.on_leader(&[
                "operator",
                "raft",
                "autopilot",
                "set-config",
                "-server-stabilization-time=1s",
            ]);
            if out.status.success() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "cannot configure autopilot: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        for node in &cluster.nodes {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !cluster.unseal(node, &key) {
                assert!(Instant::now() < deadline, "{} never unsealed", node.addr);
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        // Every node a voter: only then can the cluster lose one.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let out = cluster.on_leader(&["operator", "raft", "list-peers", "-format=json"]);
            let voters = serde_json::from_slice::<serde_json::Value>(&out.stdout)
                .ok()
                .and_then(|json| {
                    json["data"]["config"]["servers"].as_array().map(|servers| {
                        servers
                            .iter()
                            .filter(|s| s["voter"].as_bool() == Some(true))
                            .count()
                    })
                })
                .unwrap_or(0);
            if voters == cluster.nodes.len() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "only {voters} voters: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let out = cluster.on_leader(&["secrets", "enable", "-path=secret", "kv-v2"]);
            if out.status.success() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "cannot enable kv: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        // A new KV v2 mount upgrades its storage for a moment first.
        let deadline = Instant::now() + Duration::from_secs(30);
        while !cluster
            .on_leader(&["kv", "put", "secret/probe", "ready=yes"])
            .status
            .success()
        {
            assert!(Instant::now() < deadline, "the KV mount never became ready");
            std::thread::sleep(Duration::from_millis(200));
        }
        cluster
    }

    /// Gives `node` the unseal key (on stdin: `key=-`, never argv); true
    /// once it is unsealed. A joining node takes the key only once
    /// retry_join has reached the leader.
    fn unseal(&self, node: &Node, key: &str) -> bool {
        let _ = raw_bao(
            &node.addr,
            "",
            &["write", "sys/unseal", "key=-"],
            key.as_bytes(),
        );
        raw_bao(&node.addr, "", &["status"], b"").status.success()
    }

    /// `bao ARGS` on whichever live node answers.
    pub fn on_leader(&self, args: &[&str]) -> std::process::Output {
        let mut last = None;
        for node in self.nodes.iter().filter(|n| n.child.is_some()) {
            let out = raw_bao(&node.addr, &self.token, args, b"");
            if out.status.success() {
                return out;
            }
            last = Some(out);
        }
        last.expect("a live node")
    }

    /// The index of the active node.
    pub fn leader(&self) -> usize {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            for (i, node) in self
                .nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| n.child.is_some())
            {
                let out = raw_bao(
                    &node.addr,
                    &self.token,
                    &["read", "-format=json", "sys/leader"],
                    b"",
                );
                if out.status.success() {
                    let json: serde_json::Value =
                        serde_json::from_slice(&out.stdout).expect("json");
                    if json["data"]["is_self"].as_bool() == Some(true) {
                        return i;
                    }
                }
            }
            assert!(Instant::now() < deadline, "no leader");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn addrs(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.addr.clone()).collect()
    }

    pub fn kv_get(&self, path: &str) -> serde_json::Value {
        let out = self.on_leader(&["kv", "get", "-format=json", path]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        json["data"]["data"].clone()
    }
}

/// Where a test's files are, for "no plaintext token" checks.
pub fn files_containing(root: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read(&path)
                .is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
            {
                found.push(path);
            }
        }
    }
    found
}
