//! The threats workspace in the bottom panel: a summary strip, filters, the threats table
//! (sortable, grouped by category or subject), the detail of the selected threat with its
//! triage, bulk triage, manual threats, orphaned triage and diagnostics.
//!
//! Everything here reads `&Model` and pushes [`Edit`]s; text fields commit one edit when
//! they lose focus, so one text edit is one undo step.

pub mod controls;
mod detail;
mod lists;
pub mod rows;

use crate::analysis::{Analysis, Subject};
use crate::model::{BoundaryId, ElementId, FlowId, Model, Severity, Status, Stride, ThreatId};
use eframe::egui::{self, Color32, RichText};
use egui_extras::{Column, TableBuilder};
use rows::{Filter, Grouping, Row, SortBy, StatusFilter, Summary};
use std::collections::BTreeSet;

use super::ReadCtx;
use super::actions::Action;
use super::selection::Selection;
use super::theme::{severity_color, severity_letter, severity_text_color, triaged_color};
use crate::model::Edit;

/// Which list the workspace shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Tab {
    #[default]
    Threats,
    Orphans,
    Diagnostics,
    Paths,
}

/// The canvas selection's elements, flows and boundaries.
type CanvasPick = (BTreeSet<ElementId>, BTreeSet<FlowId>, BTreeSet<BoundaryId>);

fn canvas_pick(selection: &Selection) -> CanvasPick {
    (
        selection.elements.clone(),
        selection.flows.clone(),
        selection.boundaries.clone(),
    )
}

/// What the threats workspace remembers between frames (a field of the app): the tab
/// shown, filters, sorting, grouping, the detail form, the lists' forms, the Paths tab
/// and the table's cached rows.
pub struct ThreatsPanel {
    tab: Tab,
    filter: Filter,
    follow_selection: bool,
    sort: SortBy,
    ascending: bool,
    group: Grouping,
    /// The canvas selection this panel itself made (by clicking a threat); it does not
    /// narrow the table, only a selection made on the canvas does.
    own_selection: Option<CanvasPick>,
    detail: detail::DetailState,
    lists: lists::ListState,
    paths: super::paths::PathsTab,
    /// The table's rows under their key.
    cache: Option<(u64, std::sync::Arc<[Row]>)>,
    scroll_to: Option<usize>,
    /// The row of the last plain or Ctrl click: Shift+click selects from it.
    anchor: Option<ThreatId>,
    /// Whether the summary shows the risk heat maps.
    show_risk: bool,
}

impl Default for ThreatsPanel {
    fn default() -> Self {
        ThreatsPanel {
            tab: Tab::Threats,
            filter: Filter::default(),
            follow_selection: true,
            sort: SortBy::Severity,
            ascending: false,
            group: Grouping::None,
            own_selection: None,
            detail: detail::DetailState::default(),
            lists: lists::ListState::default(),
            paths: super::paths::PathsTab::default(),
            cache: None,
            scroll_to: None,
            anchor: None,
            show_risk: true,
        }
    }
}

impl ThreatsPanel {
    /// The attack path the canvas shows (everything off it dimmed): the one selected in
    /// the Paths tab, while that tab is shown.
    pub fn canvas_focus(&self) -> Option<&std::sync::Arc<super::paths::Focus>> {
        self.paths.canvas_focus()
    }
}

/// Makes a subject the canvas selection (a crossing selects its flow and its boundary).
pub fn select_subject(selection: &mut Selection, s: &Subject) {
    selection.clear_items();
    selection.insert_subject(s);
}

/// Shows the threats workspace. Pushes triage and manual-threat edits to `edits` and
/// commands (such as [`Action::Reveal`]) to `actions`.
pub fn threats_panel_ui(
    ui: &mut egui::Ui,
    cx: ReadCtx<'_>,
    summary: &Summary,
    st: &mut ThreatsPanel,
    selection: &mut Selection,
    edits: &mut Vec<Edit>,
    actions: &mut Vec<Action>,
) {
    let ReadCtx {
        model,
        analysis,
        catalog,
    } = cx;
    let dark = ui.visuals().dark_mode;

    // Header: tabs and the summary strip.
    ui.horizontal_wrapped(|ui| {
        ui.selectable_value(
            &mut st.tab,
            Tab::Threats,
            RichText::new(format!("Threats ({})", summary.total)).strong(),
        );
        let orphan_label = format!("Orphaned triage ({})", analysis.orphans.len());
        let orphan_text = if analysis.orphans.is_empty() {
            RichText::new(orphan_label)
        } else {
            RichText::new(orphan_label).color(severity_color(Severity::High, dark))
        };
        ui.selectable_value(&mut st.tab, Tab::Orphans, orphan_text);
        ui.selectable_value(
            &mut st.tab,
            Tab::Diagnostics,
            format!("Diagnostics ({})", analysis.diagnostics.len()),
        );
        let paths_label = st.paths.label(cx);
        ui.selectable_value(&mut st.tab, Tab::Paths, paths_label);
        ui.separator();
        summary_ui(ui, summary, st, dark);
    });
    ui.separator();

    match st.tab {
        Tab::Threats => threats_tab_ui(ui, cx, summary, selection, (edits, actions), st),
        Tab::Orphans => lists::orphans_ui(ui, model, analysis, catalog, edits, &mut st.lists),
        Tab::Diagnostics => lists::diagnostics_ui(ui, analysis, actions),
        Tab::Paths => super::paths::paths_tab_ui(ui, cx, &mut st.paths, selection, actions),
    }
    if st.tab != Tab::Paths {
        st.paths.clear_focus();
    }
    // A resizable panel takes the size of what it shows: a short list would shrink it
    // (and that size is remembered). Claim the rest, so every tab keeps the height the
    // user chose.
    let rest = ui.available_size();
    if rest.x > 0.0 && rest.y > 0.0 {
        ui.allocate_space(rest);
    }
}

fn summary_ui(ui: &mut egui::Ui, s: &Summary, st: &mut ThreatsPanel, dark: bool) {
    let open: usize = s.open_by_severity.iter().sum();
    ui.label(format!("{open} open"));
    for (i, sev) in Severity::ALL.iter().enumerate().rev() {
        let n = s.open_by_severity[i];
        let chip = RichText::new(format!(" {} {n} ", severity_letter(*sev)))
            .background_color(severity_color(*sev, dark))
            .color(severity_text_color(*sev, dark))
            .monospace();
        let active = st.filter.min_severity == Some(*sev);
        if ui
            .selectable_label(active, chip)
            .on_hover_text(format!(
                "{n} open {} threats; click to show {} and above",
                sev.label(),
                sev.label()
            ))
            .clicked()
        {
            st.filter.min_severity = if active { None } else { Some(*sev) };
            st.tab = Tab::Threats;
        }
    }
    ui.label(s.triaged_text());
    ui.separator();
    ui.toggle_value(&mut st.show_risk, "Risk matrix")
        .on_hover_text("Show or hide the likelihood × impact heat maps, before and after controls");
    ui.separator();
    for (i, c) in Stride::ALL.iter().enumerate() {
        let active = st.filter.category == Some(*c);
        if ui
            .selectable_label(active, format!("{} {}", c.letter(), s.by_category[i]))
            .on_hover_text(format!(
                "{}: {} threats to {}",
                c.label(),
                s.by_category[i],
                c.property()
            ))
            .clicked()
        {
            st.filter.category = if active { None } else { Some(*c) };
            st.tab = Tab::Threats;
        }
    }
}

fn threats_tab_ui(
    ui: &mut egui::Ui,
    cx: ReadCtx<'_>,
    summary: &Summary,
    selection: &mut Selection,
    (edits, actions): (&mut Vec<Edit>, &mut Vec<Action>),
    st: &mut ThreatsPanel,
) {
    let ReadCtx {
        model,
        analysis,
        catalog,
    } = cx;
    // The canvas selection narrows the table unless this panel made it.
    let canvas_sel = canvas_pick(selection);
    let follows = st.follow_selection
        && !(canvas_sel.0.is_empty() && canvas_sel.1.is_empty() && canvas_sel.2.is_empty())
        && st.own_selection.as_ref() != Some(&canvas_sel);
    if follows {
        st.filter.elements = canvas_sel.0.clone();
        st.filter.flows = canvas_sel.1.clone();
        st.filter.boundaries = canvas_sel.2.clone();
    } else {
        st.filter.elements.clear();
        st.filter.flows.clear();
        st.filter.boundaries.clear();
    }

    egui::Panel::right("palisade.threat-detail")
        .resizable(true)
        .default_size(420.0)
        .size_range(280.0..=900.0)
        .show(ui, |ui| {
            detail::detail_ui(
                ui,
                model,
                analysis,
                catalog,
                selection,
                edits,
                &mut st.detail,
            );
        });

    egui::CentralPanel::default().show(ui, |ui| {
        // The summary's heat maps sit above the table, so the detail keeps its height.
        if st.show_risk {
            controls::risk_summary_ui(ui, &summary.risk);
            ui.add_space(4.0);
        }
        filters_ui(ui, st, follows, model);
        let key = cache_key(model, analysis, st);
        let rows = match &st.cache {
            Some((k, r)) if *k == key => r.clone(),
            _ => {
                let r: std::sync::Arc<[Row]> = rows::rows(
                    model,
                    analysis,
                    catalog,
                    &st.filter,
                    st.sort,
                    st.ascending,
                    st.group,
                )
                .into();
                st.cache = Some((key, r.clone()));
                r
            }
        };
        if let Some(s) = table_ui(ui, cx, selection, &rows, st) {
            actions.push(Action::Reveal(s));
        }
    });
}

fn filters_ui(ui: &mut egui::Ui, st: &mut ThreatsPanel, follows: bool, model: &Model) {
    ui.horizontal_wrapped(|ui| {
        let find = ui.label("Find");
        let search = ui
            .add(
                egui::TextEdit::singleline(&mut st.filter.text)
                    .hint_text("id, title, subject")
                    .desired_width(200.0),
            )
            .labelled_by(find.id);
        if ui.input_mut(|i| {
            i.consume_key(
                egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
                egui::Key::F,
            )
        }) {
            search.request_focus();
        }
        egui::ComboBox::from_id_salt("threats.category")
            .selected_text(
                st.filter
                    .category
                    .map(|c| c.label())
                    .unwrap_or("Any category"),
            )
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut st.filter.category, None, "Any category");
                for c in Stride::ALL {
                    ui.selectable_value(&mut st.filter.category, Some(c), c.label());
                }
            })
            .response
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::ComboBox, true, "Category filter"));
        egui::ComboBox::from_id_salt("threats.severity")
            .selected_text(
                st.filter
                    .min_severity
                    .map(|s| format!("{} and above", s.label()))
                    .unwrap_or("Any severity".into()),
            )
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut st.filter.min_severity, None, "Any severity");
                for s in Severity::ALL {
                    ui.selectable_value(
                        &mut st.filter.min_severity,
                        Some(s),
                        format!("{} and above", s.label()),
                    );
                }
            })
            .response
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::ComboBox, true, "Severity filter"));
        egui::ComboBox::from_id_salt("threats.status")
            .selected_text(st.filter.status.label())
            .show_ui(ui, |ui| {
                for f in [
                    StatusFilter::All,
                    StatusFilter::Untriaged,
                    StatusFilter::Triaged,
                ] {
                    ui.selectable_value(&mut st.filter.status, f, f.label());
                }
                for s in Status::ALL {
                    ui.selectable_value(&mut st.filter.status, StatusFilter::Is(s), s.label());
                }
            })
            .response
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::ComboBox, true, "Status filter"));
        egui::ComboBox::from_id_salt("threats.group")
            .selected_text(match st.group {
                Grouping::None => "No grouping",
                Grouping::Category => "Group by category",
                Grouping::Subject => "Group by element",
            })
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut st.group, Grouping::None, "No grouping");
                ui.selectable_value(&mut st.group, Grouping::Category, "Group by category");
                ui.selectable_value(&mut st.group, Grouping::Subject, "Group by element");
            })
            .response
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::ComboBox, true, "Grouping"));
        ui.checkbox(&mut st.follow_selection, "Follow canvas selection")
            .on_hover_text(
                "Show only the threats of what is selected on the canvas (a boundary: its crossings and members too)",
            );
        if follows {
            let n = st.filter.elements.len() + st.filter.flows.len() + st.filter.boundaries.len();
            let what = if n == 1 {
                st.filter
                    .elements
                    .iter()
                    .next()
                    .and_then(|e| model.elements.get(e).map(|x| x.name.clone()))
                    .or_else(|| {
                        st.filter
                            .flows
                            .iter()
                            .next()
                            .map(|f| rows::flow_name(f, model).into_owned())
                    })
                    .or_else(|| {
                        st.filter
                            .boundaries
                            .iter()
                            .next()
                            .and_then(|b| model.boundaries.get(b).map(|x| x.name.clone()))
                    })
                    .unwrap_or_default()
            } else {
                format!("{n} items")
            };
            ui.label(RichText::new(format!("showing threats of {what}")).italics());
        }
        if st.filter != Filter::default() && ui.button("Clear filters").clicked() {
            st.filter = Filter::default();
            st.own_selection = None;
        }
    });
}

fn cache_key(model: &Model, analysis: &Analysis, st: &ThreatsPanel) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    // A new analysis (after any edit) has a new generation; triage is hashed as well
    // because the rows show it and a triage edit is cheap to re-key.
    analysis.generation.hash(&mut h);
    for (k, t) in &model.triage {
        k.hash(&mut h);
        t.status.hash(&mut h);
        t.severity.hash(&mut h);
    }
    format!("{:?}{:?}{}{:?}", st.filter, st.sort, st.ascending, st.group).hash(&mut h);
    h.finish()
}

/// The threats table. Returns the subject to reveal on the canvas when a plain click
/// selected a threat.
fn table_ui(
    ui: &mut egui::Ui,
    cx: ReadCtx<'_>,
    selection: &mut Selection,
    rows: &[Row],
    st: &mut ThreatsPanel,
) -> Option<Subject> {
    let ReadCtx {
        model,
        analysis,
        catalog,
    } = cx;
    let dark = ui.visuals().dark_mode;
    let row_h = 20.0;
    let mut clicked: Option<(usize, egui::Modifiers)> = None;
    let mut clicked_row: Option<usize> = None;
    let mut sort_click: Option<SortBy> = None;
    let mut reveal = None;
    let mut table = TableBuilder::new(ui)
        .id_salt("palisade.threats.table.v2")
        .striped(true)
        .resizable(true)
        .sense(egui::Sense::click())
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        // Severity, status and title first, so a narrow table clips the least useful
        // columns (category, id) and never these; the id column takes what is left.
        .column(Column::initial(92.0).at_least(70.0))
        .column(Column::initial(118.0).at_least(80.0).clip(true))
        .column(Column::initial(330.0).at_least(120.0).clip(true))
        .column(Column::initial(190.0).at_least(60.0).clip(true))
        .column(Column::initial(140.0).at_least(50.0).clip(true))
        .column(Column::remainder().at_least(60.0).clip(true))
        .min_scrolled_height(0.0);
    if let Some(r) = st.scroll_to.take() {
        table = table.scroll_to_row(r, Some(egui::Align::Center));
    }
    let arrow = |col: SortBy| {
        if st.sort == col {
            if st.ascending { " ↑" } else { " ↓" }
        } else {
            ""
        }
    };
    let headers = [
        ("Severity", SortBy::Severity),
        ("Status", SortBy::Status),
        ("Title", SortBy::Title),
        ("Subject", SortBy::Subject),
        ("Category", SortBy::Category),
        ("ID", SortBy::Id),
    ];
    table
        .header(22.0, |mut header| {
            for (label, col) in headers {
                header.col(|ui| {
                    if ui
                        .add(
                            egui::Button::new(
                                RichText::new(format!("{label}{}", arrow(col))).strong(),
                            )
                            .frame(false),
                        )
                        .clicked()
                    {
                        sort_click = Some(col);
                    }
                });
            }
        })
        .body(|body| {
            body.rows(row_h, rows.len(), |mut row| {
                let ri = row.index();
                match &rows[ri] {
                    Row::Header(label, n) => {
                        row.col(|ui| {
                            cell(ui, RichText::new(format!("{label} ({n})")).strong());
                        });
                        for _ in 0..5 {
                            row.col(|_| {});
                        }
                    }
                    Row::Threat(i) => {
                        let t = &analysis.threats[*i];
                        row.set_selected(selection.threats.contains(&t.id));
                        let sev = t.severity(model);
                        let status = t.status(model);
                        row.col(|ui| {
                            let (bg, fg) = if status.is_untriaged() {
                                (severity_color(sev, dark), severity_text_color(sev, dark))
                            } else {
                                (triaged_color(dark), Color32::WHITE)
                            };
                            cell(
                                ui,
                                RichText::new(format!(
                                    " {} {} ",
                                    severity_letter(sev),
                                    sev.label()
                                ))
                                .background_color(bg)
                                .color(fg)
                                .small(),
                            );
                        });
                        row.col(|ui| {
                            cell(ui, status.label());
                        });
                        row.col(|ui| {
                            cell(ui, rows::title(t, model, catalog));
                        });
                        row.col(|ui| {
                            let kind = match &t.subject {
                                Subject::Crossing(..) => "⇄ ",
                                Subject::Flow(_) => "→ ",
                                _ => "",
                            };
                            cell(
                                ui,
                                format!("{kind}{}", rows::subject_name(&t.subject, model)),
                            );
                        });
                        row.col(|ui| {
                            cell(ui, t.category.label());
                        });
                        row.col(|ui| {
                            cell(ui, RichText::new(t.id.as_str()).monospace().small());
                        });
                        if row.response().clicked() {
                            clicked = Some((*i, row.response().ctx.input(|inp| inp.modifiers)));
                            clicked_row = Some(ri);
                        }
                    }
                }
            });
        });
    if let Some(col) = sort_click {
        if st.sort == col {
            st.ascending = !st.ascending;
        } else {
            st.sort = col;
            st.ascending = !matches!(col, SortBy::Severity);
        }
    }
    if let Some((i, mods)) = clicked {
        let t = &analysis.threats[i];
        let anchor_row = st.anchor.as_ref().and_then(|a| {
            rows.iter()
                .position(|r| matches!(r, Row::Threat(j) if analysis.threats[*j].id == *a))
        });
        if let (true, Some(from), Some(to)) = (mods.shift, anchor_row, clicked_row) {
            // Shift+click: the rows from the anchor to here, as shown (Ctrl keeps the
            // rest of the selection).
            if !mods.command {
                selection.threats.clear();
            }
            for r in &rows[from.min(to)..=from.max(to)] {
                if let Row::Threat(j) = r {
                    selection.threats.insert(analysis.threats[*j].id.clone());
                }
            }
        } else if mods.command || mods.shift {
            if !selection.threats.remove(&t.id) {
                selection.threats.insert(t.id.clone());
            }
            st.anchor = Some(t.id.clone());
        } else {
            st.anchor = Some(t.id.clone());
            selection.threats.clear();
            selection.threats.insert(t.id.clone());
            select_subject(selection, &t.subject);
            st.own_selection = Some(canvas_pick(selection));
            reveal = Some(t.subject.clone());
        }
    }
    if rows.is_empty() {
        ui.label(RichText::new("No threats match the filters").italics());
    }
    reveal
}

/// A table cell's text: not selectable, so a click anywhere on the row selects the row.
fn cell(ui: &mut egui::Ui, text: impl Into<egui::WidgetText>) {
    ui.add(egui::Label::new(text).selectable(false).truncate());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Catalog;

    /// The table's rows are cached per analysis: a re-analysis that reuses the threat
    /// vector in place (incremental, same length, e.g. after a rename) must still re-key
    /// the cache, and a clone of the same analysis must not.
    #[test]
    fn row_cache_is_keyed_by_the_analysis_run() {
        let cat = Catalog::builtin();
        let path = format!(
            "{}/examples/docker-attack-surface.ron",
            env!("CARGO_MANIFEST_DIR")
        );
        let mut model = crate::persist::load(std::path::Path::new(&path))
            .map(|l| l.model)
            .unwrap_or_else(|e| panic!("{e}"));
        let st = ThreatsPanel::default();
        let a = crate::analysis::analyze(&model, &cat);
        assert_eq!(
            cache_key(&model, &a, &st),
            cache_key(&model, &a.clone(), &st)
        );
        let Some(e) = model.elements.values().next().cloned() else {
            panic!("the example has elements")
        };
        let mut renamed = e.clone();
        renamed.name = format!("{} (renamed)", e.name);
        let edit = Edit::ReplaceElement(renamed);
        let inverse = edit.apply(&mut model).unwrap_or_else(|e| panic!("{e}"));
        let b = crate::analysis::reanalyze(a.clone(), &model, &cat, &inverse);
        assert_eq!(a.threats.len(), b.threats.len());
        assert_ne!(cache_key(&model, &a, &st), cache_key(&model, &b, &st));
    }
}
