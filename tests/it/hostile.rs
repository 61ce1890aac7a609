//! The command line against hostile inputs and unlucky setups: output targets that are
//! not regular files, targets never read, the model behind a bind mount or a hard link,
//! stale temporary files, closed, broken and full standard output, terminal and Markdown
//! injection, nesting and template-directory limits, and one-line messages.

use crate::common::root;
use std::fs;
use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const HARDENED: &str = "examples/docker-hardened.ron";
const KUBERNETES: &str = "examples/kubernetes-cluster.ron";
const INJECTION: &str = "tests/corpus/models/terminal-injection.ron";

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_palisade"));
    c.current_dir(root())
        .env("RUST_BACKTRACE", "1")
        .env("SOURCE_DATE_EPOCH", "1700000000");
    c
}

/// Runs palisade to the end, or fails the test after `limit` (a hang is a failure, not
/// a stuck test run).
fn run_within(mut cmd: Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("palisade runs");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out.read_to_end(&mut b);
        b
    });
    let ereader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        b
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("palisade did not finish within {limit:?}: {cmd:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: reader.join().unwrap_or_default(),
        stderr: ereader.join().unwrap_or_default(),
    }
}

fn run(args: &[&str]) -> Output {
    let mut c = bin();
    c.args(args);
    run_within(c, Duration::from_secs(120))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn assert_no_panic(what: &str, o: &Output) {
    let e = text(&o.stderr);
    assert!(
        o.status.code() != Some(101) && !e.contains("panicked") && !e.contains("backtrace"),
        "{what}: {e}"
    );
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary directory")
}

fn arg(p: &Path) -> String {
    p.display().to_string()
}

/// The report of the hardened example, as `-o -` gives it.
fn report_bytes(format: &str) -> Vec<u8> {
    let o = run(&["report", HARDENED, "-o", "-", "--format", format]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(o.stderr.is_empty(), "{}", text(&o.stderr));
    o.stdout
}

#[test]
fn report_to_dash_and_dev_stdout_writes_standard_output() {
    let want = report_bytes("json");
    assert!(want.starts_with(b"{"));
    let o = run(&["report", HARDENED, "-o", "/dev/stdout", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(o.stdout, want);
    // Without --format, `-` has no extension to go by.
    let o = run(&["report", HARDENED, "-o", "-"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("use --format"),
        "{}",
        text(&o.stderr)
    );
}

#[cfg(unix)]
#[test]
fn a_device_stays_a_device_and_a_fifo_gets_the_bytes() {
    use std::os::unix::fs::FileTypeExt;
    // /dev/null: written in place, never renamed over (as root a rename would succeed).
    let o = run(&["report", HARDENED, "-o", "/dev/null", "--format", "pdf"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let m = fs::symlink_metadata("/dev/null").expect("/dev/null");
    assert!(
        m.file_type().is_char_device(),
        "/dev/null is no longer a device"
    );
    // /dev/zero and /dev/full are never read: the first takes the bytes, the second is
    // a full disk, reported on one line.
    let o = run(&["report", HARDENED, "-o", "/dev/zero", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = run(&["report", HARDENED, "-o", "/dev/full", "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let e = text(&o.stderr);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(
        e.starts_with("error: /dev/full: ") && e.contains("No space left"),
        "{e}"
    );
    // A FIFO: the reader gets exactly the report, and the FIFO stays a FIFO.
    let d = tmp();
    let fifo = d.path().join("report.json");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("mkfifo is not available: FIFO case skipped");
        return;
    }
    let f2 = fifo.clone();
    let reader = std::thread::spawn(move || fs::read(&f2).unwrap_or_default());
    let o = run(&["report", HARDENED, "-o", &arg(&fifo), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let got = reader.join().unwrap_or_default();
    assert_eq!(got, report_bytes("json"));
    let m = fs::symlink_metadata(&fifo).expect("fifo");
    assert!(m.file_type().is_fifo());
    // Nothing else was left in the directory.
    let names: Vec<_> = fs::read_dir(d.path()).expect("dir").flatten().collect();
    assert_eq!(names.len(), 1);
}

#[cfg(unix)]
#[test]
fn a_huge_existing_target_is_replaced_without_being_read() {
    let d = tmp();
    let target = d.path().join("big.json");
    // 5 GiB, sparse: reading it would take 5 GiB of memory; the address-space limit
    // below makes that fail.
    let f = fs::File::create(&target).expect("create");
    f.set_len(5 << 30).expect("sparse file");
    drop(f);
    let mut c = Command::new("sh");
    c.current_dir(root())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args([
            "-c",
            "ulimit -v 2000000 && exec \"$0\" report \"$1\" -o \"$2\" --format json",
            env!("CARGO_BIN_EXE_palisade"),
            HARDENED,
            &arg(&target),
        ]);
    let o = run_within(c, Duration::from_secs(60));
    assert_no_panic("5 GiB target", &o);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(fs::read(&target).expect("report"), report_bytes("json"));
}

#[test]
fn the_model_is_never_overwritten_through_a_hard_link_or_another_path() {
    let d = tmp();
    let model = d.path().join("model.ron");
    fs::copy(root().join(HARDENED), &model).expect("copy");
    let before = fs::read(&model).expect("model");
    let link = d.path().join("link.ron");
    let mut targets = vec![d.path().join(".").join("model.ron")];
    if fs::hard_link(&model, &link).is_ok() {
        targets.push(link);
    }
    for t in &targets {
        let o = run(&[
            "report",
            &arg(&model),
            "-o",
            &arg(t),
            "--force",
            "--format",
            "json",
        ]);
        assert_eq!(o.status.code(), Some(2), "{}", arg(t));
        assert!(
            text(&o.stderr).contains("refusing to write the report over the model"),
            "{}",
            text(&o.stderr)
        );
    }
    assert_eq!(fs::read(&model).expect("model"), before);
}

/// `b` a bind mount of `a`: the paths differ, the file is the same. Needs root and
/// `mount`; skipped with a message elsewhere.
#[cfg(target_os = "linux")]
#[test]
fn the_model_is_never_overwritten_through_a_bind_mount() {
    let d = tmp();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    fs::create_dir_all(&a).expect("a");
    fs::create_dir_all(&b).expect("b");
    fs::copy(root().join(HARDENED), a.join("model.ron")).expect("copy");
    let mounted = Command::new("mount")
        .args(["--bind", &arg(&a), &arg(&b)])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("bind mounts are not available here (needs root and mount): skipped");
        return;
    }
    let o = run(&[
        "report",
        &arg(&a.join("model.ron")),
        "-o",
        &arg(&b.join("model.ron")),
        "--force",
        "--format",
        "json",
    ]);
    let _ = Command::new("umount").arg(&b).status();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("refusing to write the report over the model"));
    assert_eq!(
        fs::read(a.join("model.ron")).expect("model"),
        fs::read(root().join(HARDENED)).expect("example")
    );
}

#[cfg(target_os = "linux")]
#[test]
fn stale_temporary_files_of_a_killed_writer_are_removed_on_the_next_write() {
    let d = tmp();
    // A process id above the kernel's maximum is never running.
    let stale = d.path().join(".report.json.4294967.0.tmp");
    let stale_bak = d.path().join(".model.ron.4294967.3.tmp.bak");
    fs::write(&stale, vec![0u8; 1 << 20]).expect("stale");
    fs::write(&stale_bak, b"x").expect("stale bak");
    // Ours while we run, someone else's, and a look-alike that is not ours: kept.
    let live = d
        .path()
        .join(format!(".report.json.{}.0.tmp", std::process::id()));
    let other = d.path().join(".report.json.tmp");
    let dir_named_like_ours = d.path().join(".x.4294967.1.tmp");
    fs::write(&live, b"x").expect("live");
    fs::write(&other, b"x").expect("other");
    fs::create_dir(&dir_named_like_ours).expect("dir");
    let out = d.path().join("report.json");
    let o = run(&["report", HARDENED, "-o", &arg(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(!stale.exists() && !stale_bak.exists(), "stale files left");
    assert!(live.exists() && other.exists() && dir_named_like_ours.exists());
    assert_eq!(fs::read(&out).expect("report"), report_bytes("json"));
}

/// A small Kubernetes manifest for the commands that read manifests (`import`,
/// `drift`): a privileged Deployment behind a LoadBalancer, which the Kubernetes example
/// does not have, so `drift` and `import --merge` have plenty to print.
const MANIFEST: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
          securityContext:
            privileged: true
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  type: LoadBalancer
  selector:
    app: web
  ports:
    - port: 443
";

/// Every subcommand that prints, with the arguments that make it print the most;
/// `dir` holds a manifest for `import` and `drift` and takes the models they write.
fn printing_commands(dir: &Path) -> Vec<Vec<String>> {
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    let manifest = dir.join("manifest.yaml");
    fs::write(&manifest, MANIFEST).expect("manifest");
    let manifest = arg(&manifest);
    let merged = arg(&dir.join("merged.ron"));
    vec![
        s(&["paths", KUBERNETES]),
        s(&["paths", KUBERNETES, "--format", "json"]),
        s(&["paths", KUBERNETES, "--format", "markdown"]),
        s(&["check", KUBERNETES, "--fail-on-path"]),
        s(&["export", "--to", "otm", KUBERNETES, "-o", "-"]),
        s(&[
            "export",
            "--to",
            "threat-dragon",
            KUBERNETES,
            "-o",
            "/dev/stdout",
        ]),
        s(&["drift", KUBERNETES, "--from", "k8s", &manifest]),
        s(&[
            "drift", KUBERNETES, "--from", "k8s", &manifest, "--format", "json",
        ]),
        s(&[
            "import", "--from", "k8s", &manifest, "-o", &merged, "--force", "--merge", KUBERNETES,
        ]),
        s(&["threats", KUBERNETES]),
        s(&["threats", KUBERNETES, "--format", "json"]),
        s(&["threats", KUBERNETES, "--format", "markdown"]),
        s(&["threats", KUBERNETES, "--format", "jsonl"]),
        s(&["check", KUBERNETES, "--fail-on", "low"]),
        s(&["validate", KUBERNETES]),
        s(&["diff", HARDENED, KUBERNETES]),
        s(&["report", KUBERNETES, "-o", "-", "--format", "markdown"]),
        s(&[
            "report",
            KUBERNETES,
            "-o",
            "/dev/stdout",
            "--format",
            "json",
        ]),
        s(&["templates", "list"]),
        s(&["templates", "show", "kubernetes"]),
        s(&["--templates", "tests/corpus/templates", "templates", "list"]),
        s(&["--help"]),
        s(&["report", "--help"]),
        s(&["--version"]),
    ]
}

#[cfg(unix)]
#[test]
fn every_subcommand_survives_closed_broken_and_full_standard_output() {
    let d = tmp();
    let commands = printing_commands(d.path());
    // Every subcommand that writes to standard output is here.
    for sub in [
        "threats",
        "check",
        "paths",
        "validate",
        "diff",
        "report",
        "import",
        "drift",
        "export",
        "templates",
    ] {
        assert!(
            commands.iter().any(|c| c[0] == sub),
            "{sub} is not tried with a closed, broken or full standard output"
        );
    }
    for args in commands {
        let what = args.join(" ");
        // Standard output closed: nothing to print to, never a panic.
        let mut c = Command::new("sh");
        c.current_dir(root()).args([
            "-c",
            "exec \"$@\" >&-",
            "sh",
            env!("CARGO_BIN_EXE_palisade"),
        ]);
        c.args(&args);
        let o = run_within(c, Duration::from_secs(120));
        assert_no_panic(&format!("{what} >&-"), &o);
        assert!(
            matches!(o.status.code(), Some(0..=2)),
            "{what} >&-: {:?}",
            o.status
        );
        // A full disk: exit 2 and one line naming standard output.
        let mut c = bin();
        c.args(&args);
        let full = fs::OpenOptions::new().write(true).open("/dev/full");
        let Ok(full) = full else {
            eprintln!("/dev/full is not available: skipped");
            return;
        };
        let o = c
            .stdout(full)
            .stderr(Stdio::piped())
            .output()
            .expect("runs");
        assert_no_panic(&format!("{what} > /dev/full"), &o);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{what} > /dev/full: {}",
            text(&o.stderr)
        );
        let e = text(&o.stderr);
        let last = e.lines().last().unwrap_or("");
        assert!(
            last.starts_with("error: ") && last.contains("No space left on device"),
            "{what} > /dev/full: {e}"
        );
        assert_eq!(
            e.lines().filter(|l| l.starts_with("error: ")).count(),
            1,
            "{e}"
        );
        // A broken pipe (the reader is gone before the first write): exit 2, silently.
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let mut c = bin();
        c.args(&args);
        let o = c
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .expect("runs");
        assert_no_panic(&format!("{what} | (closed)"), &o);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{what} | (closed): {}",
            text(&o.stderr)
        );
        let e = text(&o.stderr);
        assert!(!e.contains("error: cannot write"), "{what} | (closed): {e}");
    }
}

#[cfg(unix)]
#[test]
fn a_reader_that_stops_early_ends_a_large_output_silently() {
    // `palisade threats big.ron | head -1`: the output is far larger than a pipe holds.
    let d = tmp();
    let model = d.path().join("big.ron");
    fs::write(&model, crate::reliability::wide_model(3_000)).expect("model");
    for format in ["table", "json", "markdown"] {
        let mut child = bin()
            .args(["threats", &arg(&model), "--format", format])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("runs");
        let mut out = child.stdout.take().expect("stdout");
        let mut first = [0u8; 100];
        let _ = out.read(&mut first);
        drop(out);
        let o = child.wait_with_output().expect("ends");
        assert_no_panic(format, &o);
        assert_eq!(o.status.code(), Some(2), "{format}: {}", text(&o.stderr));
        assert!(o.stderr.is_empty(), "{format}: {}", text(&o.stderr));
    }
}

/// Control characters that must never reach a terminal raw (tab and newline are the
/// outputs' own separators).
fn raw_controls(s: &str) -> Vec<char> {
    s.chars()
        .filter(|&c| c != '\n' && c != '\t' && palisade::escape::is_unsafe_char(c))
        .collect()
}

#[test]
fn no_control_character_from_a_model_or_template_reaches_the_terminal() {
    let cases: Vec<Vec<&str>> = vec![
        vec!["threats", INJECTION],
        vec!["threats", INJECTION, "--format", "markdown"],
        vec!["check", INJECTION, "--fail-on", "low"],
        vec!["validate", INJECTION],
        vec!["diff", HARDENED, INJECTION],
        vec!["diff", INJECTION, HARDENED],
        vec!["report", INJECTION, "-o", "-", "--format", "markdown"],
    ];
    for args in &cases {
        let o = run(args);
        assert_no_panic(&args.join(" "), &o);
        let (out, err) = (text(&o.stdout), text(&o.stderr));
        assert_eq!(
            raw_controls(&out),
            Vec::<char>::new(),
            "{args:?} stdout: {out}"
        );
        assert_eq!(
            raw_controls(&err),
            Vec::<char>::new(),
            "{args:?} stderr: {err}"
        );
    }
    // The manual threat's title cannot fake the summary line: it stays on its own line,
    // escaped, and the real summary is the last line.
    let o = run(&["check", INJECTION, "--fail-on", "low"]);
    let out = text(&o.stdout);
    let manual = out
        .lines()
        .find(|l| l.contains("MANUAL-1"))
        .expect("manual threat");
    assert!(manual.contains("real\\r\\u{1b}[2K"), "{manual}");
    let last = out.lines().last().unwrap_or("");
    assert!(
        last.starts_with(INJECTION) && last.contains("14 threats"),
        "{last}"
    );
    // Each check line has exactly four tab-separated fields.
    for l in out.lines().filter(|l| l.contains('\t')) {
        assert_eq!(l.split('\t').count(), 4, "{l}");
    }
    // Templates: names, descriptions and rule titles with control characters.
    let d = tmp();
    fs::write(
        d.path().join("evil.ron"),
        "(id: \"evil\\u{1b}[2J\", name: \"Evil\\r\\u{7}\", version: \"1\\n2\", group: \"g\", description: \"d\\u{1b}]0;x\\u{7}\", rules: [])",
    )
    .expect("template");
    let dir = arg(d.path());
    for args in [
        vec!["--templates", &dir, "templates", "list"],
        vec!["templates", "show", "evil\u{1b}[2J", "--templates", &dir],
        vec!["templates", "show", "nope\u{1b}[2J"],
    ] {
        let o = run(&args);
        assert_no_panic(&args.join(" "), &o);
        let (out, err) = (text(&o.stdout), text(&o.stderr));
        assert_eq!(raw_controls(&out), Vec::<char>::new(), "{args:?}: {out}");
        assert_eq!(raw_controls(&err), Vec::<char>::new(), "{args:?}: {err}");
    }
}

#[test]
fn markdown_output_escapes_html_and_closes_code_spans() {
    for args in [
        vec!["threats", INJECTION, "--format", "markdown"],
        vec!["report", INJECTION, "-o", "-", "--format", "markdown"],
    ] {
        let o = run(&args);
        let all = text(&o.stdout);
        assert!(!all.is_empty(), "{args:?}: {}", text(&o.stderr));
        // The Mermaid block is not Markdown: its labels are quoted with entity codes.
        let md = match (all.find("```mermaid"), all.find("```\n\n## 3")) {
            (Some(a), Some(b)) if a < b => {
                let block = &all[a + "```mermaid".len()..b];
                assert!(!block.contains('<') && !block.contains('`'), "{block}");
                format!("{}{}", &all[..a], &all[b..])
            }
            _ => all.clone(),
        };
        // Each may appear only escaped (right after a backslash).
        for live in ["<script", "<img", "](javascript", "**bold**"] {
            let unescaped = md
                .match_indices(live)
                .any(|(i, _)| !md[..i].ends_with('\\'));
            assert!(!unescaped, "{args:?}: `{live}` is live in:\n{md}");
        }
        // The element id `a``b` sits in a code span with a longer fence.
        assert!(md.contains("```GEN-E-01@element:a``b```"), "{md}");
    }
    // The HTML report escapes the same text.
    let o = run(&["report", INJECTION, "-o", "-", "--format", "html"]);
    let html = text(&o.stdout);
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "html"
    );
    assert!(
        !html.contains("<script") && !html.contains("<img src=x"),
        "html"
    );
}

#[test]
fn names_with_placeholders_are_filled_once() {
    let o = run(&[
        "threats",
        "tests/corpus/models/placeholder-names.ron",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let threats = v.as_array().expect("array");
    assert!(!threats.is_empty());
    let element = "{source}{flow}{flow}{boundary}{element}";
    let flow = "{target}{source}{boundary}{flow}{flow}";
    for t in threats {
        let d = t["description"].as_str().unwrap_or("");
        assert!(d.len() < 1_000, "{d}");
        assert!(
            d.contains(element) || d.contains(flow) || d.contains("{target}{target}"),
            "{d}"
        );
    }
    // A template description with `{element}` a million times is refused by the string
    // limit before it can be filled.
    let d = tmp();
    let desc = "{element}".repeat(1_000_000);
    fs::write(
        d.path().join("big.ron"),
        format!("(id: \"big\", name: \"Big\", version: \"1\", group: \"g\", rules: [(id: \"BIG-1\", title: \"t\", category: Tampering, applies: Elements([\"generic.process\"]), condition: Not(Is(Element, \"validates_input\", true)), severity: Low, description: \"{desc}\")])"),
    )
    .expect("template");
    let o = run(&["--templates", &arg(d.path()), "check", HARDENED]);
    assert_no_panic("million placeholders", &o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("MAX_STRING_BYTES"),
        "{}",
        text(&o.stderr)
    );
}

/// A model of `depth` boundaries each inside the previous, and `flows` flows from
/// outside into the innermost.
fn nested(depth: usize, flows: usize) -> String {
    let mut t =
        String::from("(\n    version: 1,\n    metadata: (title: \"nested\"),\n    boundaries: [\n");
    for i in 0..depth {
        let parent = if i == 0 {
            "None".to_owned()
        } else {
            format!("Some(\"b{}\")", i - 1)
        };
        t.push_str(&format!(
            "        (id: \"b{i}\", name: \"B\", kind: NetworkZone, trust: 5, parent: {parent}, rect: (0.0, 0.0, 1.0, 1.0)),\n"
        ));
    }
    t.push_str("    ],\n    elements: [\n        (id: \"out\", name: \"O\", kind: \"generic.process\", pos: (0.0, 0.0)),\n");
    t.push_str(&format!(
        "        (id: \"in\", name: \"I\", kind: \"generic.process\", boundary: Some(\"b{}\"), pos: (0.0, 0.0)),\n    ],\n    flows: [\n",
        depth.saturating_sub(1)
    ));
    for i in 0..flows {
        t.push_str(&format!(
            "        (id: \"f{i}\", name: \"F\", source: \"out\", target: \"in\"),\n"
        ));
    }
    t.push_str("    ],\n)\n");
    t
}

#[test]
fn boundaries_nested_past_the_limit_are_refused_naming_it() {
    let d = tmp();
    for (depth, flows) in [(500, 500), (1_000, 1_000), (49_000, 1)] {
        let p = d.path().join(format!("nested-{depth}.ron"));
        fs::write(&p, nested(depth, flows)).expect("model");
        for cmd in ["check", "threats", "validate"] {
            let o = run(&[cmd, &arg(&p)]);
            assert_eq!(o.status.code(), Some(2), "{cmd} {depth}");
            let e = text(&o.stderr);
            assert_eq!(e.lines().count(), 1, "{e}");
            assert!(e.contains("(MAX_BOUNDARY_DEPTH)"), "{e}");
        }
    }
    // At the limit, the flows cross every boundary once and the analysis is bounded.
    let p = d.path().join("at-limit.ron");
    fs::write(&p, nested(palisade::model::MAX_BOUNDARY_DEPTH, 500)).expect("model");
    let o = run(&["threats", &arg(&p), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let n = v.as_array().map_or(0, Vec::len);
    assert!(n > 500 && n < 500 * 2 * 32 * 4, "{n} threats");
}

#[cfg(unix)]
#[test]
fn a_template_directory_skips_fifos_and_repeated_links_and_is_limited_in_all() {
    let d = tmp();
    let dir = d.path();
    let made = Command::new("mkfifo")
        .arg(dir.join("fifo.ron"))
        .status()
        .is_ok_and(|s| s.success());
    fs::create_dir(dir.join("dir.ron")).expect("dir");
    // One real template and 200 links to it.
    let big = dir.join("a-real.ron");
    fs::write(
        &big,
        "(id: \"mine\", name: \"Mine\", version: \"1\", group: \"g\", rules: [])",
    )
    .expect("template");
    for i in 0..200 {
        std::os::unix::fs::symlink(&big, dir.join(format!("link-{i:03}.ron"))).expect("link");
    }
    let o = run(&["--templates", &arg(dir), "templates", "list"]);
    assert_no_panic("template dir", &o);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert_eq!(
        out.lines().filter(|l| l.starts_with("mine\t")).count(),
        1,
        "{out}"
    );
    let e = text(&o.stderr);
    if made {
        assert!(e.contains("fifo.ron: warning: not a regular file"), "{e}");
    }
    assert!(e.contains("dir.ron: warning: not a regular file"), "{e}");
    assert_eq!(e.matches("loaded once").count(), 200, "{e}");
    // Past the total limit, the rest is not read and the check refuses to run.
    let d2 = tmp();
    let filler = format!(
        "(id: \"f\", name: \"F\", version: \"1\", group: \"g\", description: \"{}\", rules: [])\n",
        "x".repeat(10_000)
    );
    let mut padded = filler.clone();
    while (padded.len() as u64) < palisade::rules::catalog::MAX_TEMPLATE_BYTES as u64 - 20_000 {
        padded.push_str("// padding padding padding padding padding padding padding padding\n");
    }
    for i in 0..3 {
        fs::write(
            d2.path().join(format!("t{i}.ron")),
            padded.replace("id: \"f\"", &format!("id: \"f{i}\"")),
        )
        .expect("template");
    }
    let o = run(&["check", HARDENED, "--templates", &arg(d2.path())]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("MAX_TEMPLATE_DIR_BYTES"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn messages_name_their_cause_once_and_accept_the_documented_order() {
    // A directory given as the model: one line, the cause once.
    for args in [
        vec!["validate", "/"],
        vec!["report", "/", "-o", "-", "--format", "json"],
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2));
        let e = text(&o.stderr);
        assert_eq!(e.lines().count(), 1, "{e}");
        assert_eq!(e.matches("os error 21").count(), 1, "{e}");
    }
    let d = tmp();
    let o = run(&["report", HARDENED, "-o", &arg(d.path()), "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let e = text(&o.stderr);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.contains("directory"), "{e}");
    // --templates before the subcommand, as the README shows it, and after.
    let dir = root().join("tests/corpus/templates").display().to_string();
    let before = run(&["--templates", &dir, "check", HARDENED]);
    let after = run(&["check", HARDENED, "--templates", &dir]);
    assert_eq!(before.status.code(), after.status.code());
    assert_eq!(before.stdout, after.stdout);
    assert_eq!(before.stderr, after.stderr);
    assert!(text(&before.stderr).contains("[shadowed-rule]"));
    // A model file and a subcommand together are refused on one line.
    let o = run(&[HARDENED, "validate", HARDENED]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn models_past_the_item_and_crossing_limits_are_refused_naming_them() {
    use palisade::persist::{MAX_CROSSINGS, MAX_ITEMS};
    // One element more than MAX_ITEMS allows.
    let text = crate::reliability::wide_model(MAX_ITEMS + 1);
    let err = palisade::persist::load_bytes("items.ron", text.as_bytes()).expect_err("refused");
    assert!(err.to_string().ends_with("(MAX_ITEMS)"), "{err}");
    // Flows that cross the 32 nested boundaries, more than MAX_CROSSINGS in all.
    let depth = palisade::model::MAX_BOUNDARY_DEPTH;
    let flows = MAX_CROSSINGS / depth + 1;
    let err = palisade::persist::load_bytes("x.ron", nested(depth, flows).as_bytes())
        .expect_err("refused");
    let msg = err.to_string();
    assert!(
        msg.starts_with("x.ron:") && msg.ends_with("(MAX_CROSSINGS)"),
        "{msg}"
    );
    // At the limit they load.
    let ok = nested(depth, MAX_CROSSINGS / depth);
    assert!(palisade::persist::load_bytes("ok.ron", ok.as_bytes()).is_ok());
}

#[test]
fn a_pdf_or_sarif_report_past_its_threat_limit_is_refused_naming_it() {
    use palisade::report::{MAX_PDF_THREATS, MAX_SARIF_THREATS};
    let d = tmp();
    let model = d.path().join("wide.ron");
    fs::write(&model, crate::reliability::wide_model(4_000)).expect("model");
    let o = run(&["check", &arg(&model), "--fail-on", "critical"]);
    let summary = text(&o.stdout);
    let threats: usize = summary
        .split(": ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        threats > MAX_PDF_THREATS && threats <= MAX_SARIF_THREATS,
        "{summary}"
    );
    let out = d.path().join("r.pdf");
    let o = run(&["report", &arg(&model), "-o", &arg(&out)]);
    assert_eq!(o.status.code(), Some(2));
    let e = text(&o.stderr);
    assert!(
        e.contains("(MAX_PDF_THREATS)") && e.lines().count() == 1,
        "{e}"
    );
    assert!(!out.exists());
}
