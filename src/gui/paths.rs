//! The Paths tab beside Threats: attack paths from the entry points to the crown jewels,
//! shortest first, with length and weakest step; the selected path's steps with their
//! why, the threats to fix, and what cuts the path. While a path is selected the canvas
//! shows its elements and flows and dims the rest ([`PathsTab::canvas_focus`]).
//!
//! Paths are derived from the document's analysis and cached per
//! [`crate::analysis::Analysis::generation`], like the threat table. The tab's state is a
//! field of the threats panel ([`PathsTab`]).

use crate::analysis::Subject;
use crate::analysis::paths::{self, AttackPath, Paths, Query, Step};
use crate::gui::ReadCtx;
use crate::gui::actions::Action;
use crate::gui::selection::Selection;
use crate::model::{ElementId, FlowId, Model};
use crate::report::attack::{name, steps_label};
use eframe::egui::{self, RichText};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Paths computed for one analysis generation.
struct Cache {
    generation: u64,
    paths: Arc<Paths>,
}

/// What the tab remembers between frames (a field of the threats panel): the selected
/// path by id, the paths of the last analysis, and what the canvas shows of the path.
#[derive(Default)]
pub struct PathsTab {
    selected: Option<String>,
    cache: Option<Cache>,
    focus: Option<Arc<Focus>>,
}

/// The elements and flows of the path shown; everything else is dimmed on the canvas.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Focus {
    /// Elements on the path.
    pub elements: BTreeSet<ElementId>,
    /// Flows the path rides.
    pub flows: BTreeSet<FlowId>,
    /// Pivot steps (no flow to draw): from, to.
    pub pivots: Vec<(ElementId, ElementId)>,
}

/// Most paths listed (the shortest); the rest are counted.
const MAX_LISTED: usize = 200;

impl PathsTab {
    /// The attack paths of the current analysis (computed once per generation).
    pub fn current(&mut self, cx: ReadCtx<'_>) -> Arc<Paths> {
        if let Some(c) = self
            .cache
            .as_ref()
            .filter(|c| c.generation == cx.analysis.generation)
        {
            return c.paths.clone();
        }
        let q = Query {
            max: Some(MAX_LISTED),
            cuts: true,
            ..Query::default()
        };
        // The query names no element, so it cannot fail; an empty list is the fallback.
        let paths =
            Arc::new(paths::find(cx.model, cx.catalog, cx.analysis, &q).unwrap_or_default());
        self.cache = Some(Cache {
            generation: cx.analysis.generation,
            paths: paths.clone(),
        });
        paths
    }

    /// The tab's label with the number of paths.
    pub fn label(&mut self, cx: ReadCtx<'_>) -> String {
        let p = self.current(cx);
        format!("Attack paths ({})", p.paths.len() + p.left_out)
    }

    /// The path the canvas should show, while one is selected in the tab shown.
    pub fn canvas_focus(&self) -> Option<&Arc<Focus>> {
        self.focus.as_ref()
    }

    /// Stops dimming the canvas (another tab is shown).
    pub fn clear_focus(&mut self) {
        self.focus = None;
    }
}

fn focus_of(p: &AttackPath) -> Focus {
    Focus {
        elements: p.elements().cloned().collect(),
        flows: p.steps.iter().filter_map(|s| s.flow.clone()).collect(),
        pivots: p
            .steps
            .iter()
            .filter(|s| s.flow.is_none())
            .map(|s| (s.from.clone(), s.to.clone()))
            .collect(),
    }
}

/// Shows the Paths tab. Clicking a step or a threat pushes [`Action::Reveal`].
pub fn paths_tab_ui(
    ui: &mut egui::Ui,
    cx: ReadCtx<'_>,
    st: &mut PathsTab,
    selection: &mut Selection,
    actions: &mut Vec<Action>,
) {
    let model = cx.model;
    let all = st.current(cx);
    if st
        .selected
        .as_ref()
        .is_some_and(|id| !all.paths.iter().any(|p| &p.id == id))
    {
        st.selected = None;
    }
    if all.paths.is_empty() {
        ui.label(format!(
            "No attack path: {} entry points, {} crown jewels, no steps between them",
            all.entries.len(),
            all.targets.len()
        ));
        st.clear_focus();
        return;
    }
    let selected = st
        .selected
        .as_ref()
        .and_then(|id| all.paths.iter().find(|p| &p.id == id));
    let focus = selected.map(focus_of);
    if st.focus.as_deref() != focus.as_ref() {
        st.focus = focus.map(Arc::new);
    }
    let avail = ui.available_size();
    ui.horizontal_top(|ui| {
        let list_w = (avail.x * 0.38).clamp(260.0, 460.0);
        ui.vertical(|ui| {
            ui.set_width(list_w);
            ui.label(
                RichText::new(format!(
                    "{} entry points · {} crown jewels{}",
                    all.entries.len(),
                    all.targets.len(),
                    if all.left_out > 0 {
                        format!(" · {} more not listed", all.left_out)
                    } else {
                        String::new()
                    }
                ))
                .weak(),
            );
            egui::ScrollArea::vertical()
                .id_salt("paths-list")
                .auto_shrink([false, false])
                .max_height(avail.y - 24.0)
                .show(ui, |ui| {
                    for p in &all.paths {
                        let weakest = p
                            .steps
                            .get(p.weakest)
                            .map(|s| format!("{} {}", s.title, name(model, &s.to)))
                            .unwrap_or_default();
                        let head =
                            format!("{} → {}", name(model, &p.entry), name(model, &p.target));
                        let on = st.selected.as_deref() == Some(p.id.as_str());
                        let text = RichText::new(format!(
                            "{head}\n{} · weakest: {weakest}{}",
                            steps_label(p.steps.len()),
                            if p.untriaged() { " · untriaged" } else { "" }
                        ));
                        let r = ui
                            .selectable_label(on, text)
                            .on_hover_text(format!("{}\n{}", p.id, p.target_why));
                        if r.clicked() {
                            st.selected = if on { None } else { Some(p.id.clone()) };
                        }
                    }
                });
        });
        ui.separator();
        ui.vertical(|ui| match selected {
            Some(p) => path_detail_ui(ui, model, p, selection, actions),
            None => {
                ui.label("Select a path to see its steps on the canvas");
            }
        });
    });
}

fn path_detail_ui(
    ui: &mut egui::Ui,
    model: &Model,
    p: &AttackPath,
    selection: &mut Selection,
    actions: &mut Vec<Action>,
) {
    egui::ScrollArea::vertical()
        .id_salt("paths-detail")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.label(
                RichText::new(format!(
                    "{} → {} ({})",
                    name(model, &p.entry),
                    name(model, &p.target),
                    steps_label(p.steps.len())
                ))
                .strong(),
            );
            ui.label(RichText::new(format!("From: {}", p.entry_why)).weak());
            ui.label(RichText::new(format!("To: {}", p.target_why)).weak());
            ui.add_space(4.0);
            for (i, s) in p.steps.iter().enumerate() {
                if step_ui(ui, model, (i, s), i == p.weakest) {
                    selection.clear_items();
                    actions.push(Action::Reveal(match &s.flow {
                        Some(f) => Subject::Flow(f.clone()),
                        None => Subject::Element(s.to.clone()),
                    }));
                }
            }
            ui.add_space(6.0);
            let fix: BTreeSet<&str> = p
                .steps
                .iter()
                .flat_map(|s| s.open_threats.iter().map(|t| t.as_str()))
                .collect();
            ui.label(RichText::new(format!("Threats to fix ({})", fix.len())).strong());
            ui.horizontal_wrapped(|ui| {
                for t in &fix {
                    if ui.link(*t).clicked() {
                        selection.clear_items();
                        selection.threats.clear();
                        selection.threats.insert(crate::model::ThreatId::new(*t));
                        if let Some(s) = t
                            .split_once('@')
                            .and_then(|(_, suffix)| Subject::parse_suffix(suffix))
                        {
                            actions.push(Action::Reveal(s));
                        }
                    }
                }
            });
            ui.add_space(6.0);
            ui.label(
                RichText::new(format!(
                    "What cuts this path ({})",
                    steps_label(p.cut.len())
                ))
                .strong(),
            )
            .on_hover_text(
                "The fewest steps whose controls leave no entry point a way to this crown jewel",
            );
            for s in &p.cut {
                ui.label(format!(
                    "• {} {} {}: {}",
                    name(model, &s.from),
                    s.title,
                    name(model, &s.to),
                    s.control
                ));
            }
        });
}

/// One step of the path shown; whether it was clicked.
fn step_ui(ui: &mut egui::Ui, model: &Model, (i, s): (usize, &Step), weakest: bool) -> bool {
    let head = format!(
        "{}. {} {} {}{}",
        i + 1,
        name(model, &s.from),
        s.title,
        name(model, &s.to),
        if weakest { "  (weakest)" } else { "" }
    );
    let r = ui
        .add(egui::Label::new(RichText::new(head)).sense(egui::Sense::click()))
        .on_hover_text(format!("{}\n{}", s.step, s.references.join("\n")));
    ui.indent(("step", i), |ui| {
        for w in &s.why {
            ui.label(RichText::new(w).small());
        }
        ui.label(
            RichText::new(format!("Cut by: {}", s.control))
                .small()
                .weak(),
        );
    });
    r.clicked()
}

/// The reviewer's attack-path marks of an element (inspector): the element with the
/// marks changed, when one was toggled.
pub fn marks_ui(ui: &mut egui::Ui, e: &crate::model::Element) -> Option<crate::model::Element> {
    let (mut entry, mut jewel) = (e.entry_point, e.crown_jewel);
    ui.horizontal(|ui| {
        ui.checkbox(&mut entry, "Entry point")
            .on_hover_text("Attack paths may start here");
        ui.checkbox(&mut jewel, "Crown jewel")
            .on_hover_text("Attack paths to here are listed");
    });
    (entry != e.entry_point || jewel != e.crown_jewel).then(|| crate::model::Element {
        entry_point: entry,
        crown_jewel: jewel,
        ..e.clone()
    })
}
