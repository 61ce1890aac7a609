//! Attack paths as text: an aligned listing for the terminal, JSON and Markdown. Names
//! come from the model (user text), so each output escapes them for where they go.

use crate::analysis::paths::{AttackPath, Paths, Step};
use crate::model::{ElementId, Model};
use serde::Serialize;

/// An element's name for the terminal: control characters (escape sequences, line
/// breaks) shown as `?` so a crafted name cannot rewrite the screen.
fn term(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Escapes text for Markdown (inline, table cells included).
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '<' | '>' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// The display name of an element (its id when the model lacks it).
pub fn name(model: &Model, id: &ElementId) -> String {
    model
        .elements
        .get(id)
        .map(|e| e.name.clone())
        .unwrap_or_else(|| id.to_string())
}

/// `N step(s)`.
pub fn steps_label(n: usize) -> String {
    if n == 1 {
        "1 step".to_owned()
    } else {
        format!("{n} steps")
    }
}

/// The one-line summary of a step: `A title B` (the title reads between the ends).
pub fn step_line(model: &Model, s: &Step) -> String {
    format!(
        "{} {} {}",
        name(model, &s.from),
        s.title,
        name(model, &s.to)
    )
}

/// The aligned listing printed by `palisade paths`.
pub fn table(model: &Model, p: &Paths) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{} attack path{} ({} entry point{}, {} crown jewel{}, {} graph edges)\n",
        p.paths.len(),
        if p.paths.len() == 1 { "" } else { "s" },
        p.entries.len(),
        if p.entries.len() == 1 { "" } else { "s" },
        p.targets.len(),
        if p.targets.len() == 1 { "" } else { "s" },
        p.edges
    ));
    if p.left_out > 0 {
        out.push_str(&format!("{} more left out by --max\n", p.left_out));
    }
    for path in &p.paths {
        out.push('\n');
        path_table(model, path, &mut out);
    }
    out
}

fn path_table(model: &Model, path: &AttackPath, out: &mut String) {
    let n = |id: &ElementId| term(&name(model, id));
    out.push_str(&format!(
        "{}  {}{}\n",
        term(&path.id),
        steps_label(path.steps.len()),
        if path.untriaged() {
            ", every step untriaged"
        } else {
            ""
        }
    ));
    out.push_str(&format!(
        "  from {} [{}]: {}\n",
        n(&path.entry),
        term(path.entry.as_str()),
        term(&path.entry_why)
    ));
    for (i, s) in path.steps.iter().enumerate() {
        out.push_str(&format!(
            "  {}. {} {} {} [{}{}]{}\n",
            i + 1,
            n(&s.from),
            term(&s.title),
            n(&s.to),
            s.step,
            match &s.flow {
                Some(f) => format!(", flow {}", term(f.as_str())),
                None => String::new(),
            },
            if i == path.weakest { "  (weakest)" } else { "" }
        ));
        for w in &s.why {
            out.push_str(&format!("       why: {}\n", term(w)));
        }
        if s.controls > 0 {
            out.push_str(&format!("       controls in place: {}\n", s.controls));
        }
        if !s.open_threats.is_empty() {
            let ids: Vec<String> = s.open_threats.iter().map(|t| term(t.as_str())).collect();
            out.push_str(&format!("       open threats: {}\n", ids.join(", ")));
        }
        out.push_str(&format!("       cut by: {}\n", term(&s.control)));
        out.push_str(&format!("       ref: {}\n", s.references.join("; ")));
    }
    out.push_str(&format!(
        "  to {} [{}]: {}\n",
        n(&path.target),
        term(path.target.as_str()),
        term(&path.target_why)
    ));
    if !path.cut.is_empty() {
        out.push_str(&format!(
            "  what cuts this path ({}: with their controls, no entry point reaches {}):\n",
            steps_label(path.cut.len()),
            n(&path.target)
        ));
        for s in &path.cut {
            out.push_str(&format!(
                "    - {} {} {} [{}]: {}\n",
                n(&s.from),
                term(&s.title),
                n(&s.to),
                s.step,
                term(&s.control)
            ));
        }
    }
}

#[derive(Serialize)]
struct JsonEnd<'a> {
    id: &'a str,
    name: String,
    why: &'a str,
}

#[derive(Serialize)]
struct JsonStep<'a> {
    from: &'a str,
    to: &'a str,
    step: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    flow: Option<&'a str>,
    why: &'a [String],
    controls: u32,
    control: &'a str,
    references: &'a [String],
    open_threats: Vec<&'a str>,
    triaged: bool,
}

#[derive(Serialize)]
struct JsonPath<'a> {
    id: &'a str,
    entry: JsonEnd<'a>,
    target: JsonEnd<'a>,
    length: usize,
    weakest_step: usize,
    untriaged: bool,
    steps: Vec<JsonStep<'a>>,
    cut: Vec<JsonStep<'a>>,
}

#[derive(Serialize)]
struct JsonPaths<'a> {
    entries: Vec<JsonEnd<'a>>,
    targets: Vec<JsonEnd<'a>>,
    edges: usize,
    left_out: usize,
    paths: Vec<JsonPath<'a>>,
}

fn json_step(s: &Step) -> JsonStep<'_> {
    JsonStep {
        from: s.from.as_str(),
        to: s.to.as_str(),
        step: &s.step,
        title: &s.title,
        flow: s.flow.as_ref().map(|f| f.as_str()),
        why: &s.why,
        controls: s.controls,
        control: &s.control,
        references: &s.references,
        open_threats: s.open_threats.iter().map(|t| t.as_str()).collect(),
        triaged: s.triaged,
    }
}

/// The paths as pretty JSON with a final newline; `weakest_step` counts from 1.
pub fn json(model: &Model, p: &Paths) -> String {
    let end = |(id, why): &'_ (ElementId, String)| -> (String, String, String) {
        (id.to_string(), name(model, id), why.clone())
    };
    let entries: Vec<_> = p.entries.iter().map(end).collect();
    let targets: Vec<_> = p.targets.iter().map(end).collect();
    let doc = JsonPaths {
        entries: entries
            .iter()
            .map(|(i, n, w)| JsonEnd {
                id: i,
                name: n.clone(),
                why: w,
            })
            .collect(),
        targets: targets
            .iter()
            .map(|(i, n, w)| JsonEnd {
                id: i,
                name: n.clone(),
                why: w,
            })
            .collect(),
        edges: p.edges,
        left_out: p.left_out,
        paths: p
            .paths
            .iter()
            .map(|a| JsonPath {
                id: &a.id,
                entry: JsonEnd {
                    id: a.entry.as_str(),
                    name: name(model, &a.entry),
                    why: &a.entry_why,
                },
                target: JsonEnd {
                    id: a.target.as_str(),
                    name: name(model, &a.target),
                    why: &a.target_why,
                },
                length: a.steps.len(),
                weakest_step: a.weakest + 1,
                untriaged: a.untriaged(),
                steps: a.steps.iter().map(json_step).collect(),
                cut: a.cut.iter().map(json_step).collect(),
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".to_owned());
    s.push('\n');
    s
}

/// The paths as Markdown: one section per path with a steps table.
pub fn markdown(model: &Model, p: &Paths) -> String {
    let mut out = String::from("# Attack paths\n\n");
    out.push_str(&format!(
        "{} attack path{} from {} entry point{} to {} crown jewel{}.\n",
        p.paths.len(),
        if p.paths.len() == 1 { "" } else { "s" },
        p.entries.len(),
        if p.entries.len() == 1 { "" } else { "s" },
        p.targets.len(),
        if p.targets.len() == 1 { "" } else { "s" },
    ));
    if p.left_out > 0 {
        out.push_str(&format!("{} more left out by `--max`.\n", p.left_out));
    }
    for path in &p.paths {
        out.push_str(&markdown_path(model, path, "##"));
    }
    out
}

/// One path as a Markdown section (heading level `h`), shared with the report.
pub fn markdown_path(model: &Model, path: &AttackPath, h: &str) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "\n{h} {} → {} ({})\n\n",
        md(&name(model, &path.entry)),
        md(&name(model, &path.target)),
        steps_label(path.steps.len())
    ));
    out.push_str(&format!(
        "`{}`. Starts at an entry point: {}. Ends at a crown jewel: {}.\n\n",
        path.id.replace('`', "'"),
        md(&path.entry_why),
        md(&path.target_why)
    ));
    out.push_str("| # | Step | Why | Open threats | Cut by |\n|---|---|---|---|---|\n");
    for (i, s) in path.steps.iter().enumerate() {
        out.push_str(&format!(
            "| {}{} | {} {} {} (`{}`) | {} | {} | {} |\n",
            i + 1,
            if i == path.weakest { " (weakest)" } else { "" },
            md(&name(model, &s.from)),
            md(&s.title),
            md(&name(model, &s.to)),
            s.step,
            md(&s.why.join("; ")),
            if s.open_threats.is_empty() {
                "none".to_owned()
            } else {
                s.open_threats
                    .iter()
                    .map(|t| format!("`{}`", t.as_str().replace('`', "'")))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            md(&s.control)
        ));
    }
    if !path.cut.is_empty() {
        out.push_str(&format!(
            "\nWhat cuts this path ({}):\n\n",
            steps_label(path.cut.len())
        ));
        for s in &path.cut {
            out.push_str(&format!(
                "- {} {} {}: {}\n",
                md(&name(model, &s.from)),
                md(&s.title),
                md(&name(model, &s.to)),
                md(&s.control)
            ));
        }
    }
    out
}

/// A model holding only a path's elements, one row left to right in step order, with
/// one arrow per step (the flow's name, or the pivot's step id): what the report draws
/// for the path with the shared scene builder. No boundaries, so nothing else shows.
pub fn path_model(model: &Model, path: &AttackPath) -> Model {
    use crate::model::{Element, Flow, FlowId};
    let mut m = Model::new(&model.metadata.title);
    for (i, id) in path.elements().enumerate() {
        let Some(e) = model.elements.get(id) else {
            continue;
        };
        m.elements.insert(
            id.clone(),
            Element {
                boundary: None,
                pos: (90.0 + 230.0 * i as f64, 70.0),
                ..e.clone()
            },
        );
    }
    for (i, s) in path.steps.iter().enumerate() {
        let label = match s.flow.as_ref().and_then(|f| model.flows.get(f)) {
            Some(f) => f.name.clone(),
            None => s.step.trim_start_matches("PIVOT-").to_lowercase(),
        };
        let id = FlowId::new(format!("step-{}", i + 1));
        m.flows.insert(
            id.clone(),
            Flow {
                id,
                name: format!("{}. {label}", i + 1),
                source: s.from.clone(),
                target: s.to.clone(),
                ..Default::default()
            },
        );
    }
    m
}
