//! The right panel: edits the selected element, flow or boundary (name, kind, boundary and
//! the typed properties of its stencil schema, defaults shown), lists the threats of the
//! selection, and shows the model's metadata when nothing is selected. Every change is
//! an [`Edit`]; text edits carry a merge key so one typing session is one undo step.

use super::actions::Action;
use super::canvas::ops::Align;
use super::history::MergeKey;
use super::selection::{Item, Selection};
use super::theme;
use crate::analysis::{Analysis, Origin, Subject, Threat};
use crate::model::{
    Boundary, BoundaryId, BoundaryKind, Edit, Element, ElementId, Flow, Model, Props, Value,
    format_number,
};
use crate::rules::{Catalog, PropSpec, PropType};
use eframe::egui::{self, RichText};

mod relations;
pub use relations::{channel_name, relation_name};

/// The id of the name field of the selected item, so a double-click on the canvas or
/// F2 can start renaming.
pub fn name_field_id() -> egui::Id {
    egui::Id::unique("palisade-inspector-name")
}

/// What the inspector changed this frame.
#[derive(Debug, Default)]
pub struct InspectorOut {
    /// Edits, applied after the frame as one undo step.
    pub edits: Vec<Edit>,
    /// Folds the edits into the previous step with the same key (typing, dragging).
    pub merge: Option<MergeKey>,
}

impl InspectorOut {
    fn push(&mut self, edit: Edit, key: impl Into<String>) {
        self.edits.push(edit);
        self.merge = Some(key.into());
    }
}

/// Shows the inspector for the selection.
pub fn inspector_ui(
    ui: &mut egui::Ui,
    model: &Model,
    cat: &Catalog,
    analysis: &Analysis,
    selection: &mut Selection,
    out: &mut InspectorOut,
    actions: &mut Vec<Action>,
) {
    // Long names or descriptions wrap instead of widening the panel (and shrinking the
    // canvas under the user's pointer).
    ui.set_max_width(ui.available_width());
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| match selection.single() {
            Some(Item::Element(id)) => {
                if let Some(e) = model.elements.get(&id) {
                    element_ui(ui, model, cat, e, out);
                    relations::element_relations_ui(ui, model, cat, e, selection, out);
                    threats_of_ui(
                        ui,
                        model,
                        cat,
                        analysis,
                        selection,
                        |t| matches!(&t.subject, Subject::Element(x) if *x == id),
                        false,
                    );
                }
            }
            Some(Item::Flow(id)) => {
                if let Some(f) = model.flows.get(&id) {
                    flow_ui(ui, model, cat, f, out);
                    threats_of_ui(
                        ui,
                        model,
                        cat,
                        analysis,
                        selection,
                        |t| matches!(&t.subject, Subject::Flow(x) | Subject::Crossing(x, _) if *x == id),
                        false,
                    );
                }
            }
            Some(Item::Boundary(id)) => {
                if let Some(b) = model.boundaries.get(&id) {
                    boundary_ui(ui, model, cat, b, out);
                    relations::boundary_props_ui(ui, cat, b, out);
                    threats_of_ui(
                        ui,
                        model,
                        cat,
                        analysis,
                        selection,
                        // A crossing rule's threat is about its flow and lists the
                        // boundaries it crossed where the rule held.
                        |t| {
                            matches!(&t.subject, Subject::Boundary(x) | Subject::Crossing(_, x) if *x == id)
                                || t.crossed.contains(&id)
                        },
                        true,
                    );
                }
            }
            Some(Item::Relation(id)) => {
                if let Some(r) = model.relations.get(&id) {
                    relations::relation_ui(ui, model, cat, r, selection, out);
                }
            }
            None if selection.is_empty() => model_ui(ui, model, analysis, out),
            None => multi_ui(ui, selection, actions),
        });
}

fn heading_ui(ui: &mut egui::Ui, title: &str, sub: &str) {
    ui.add_space(2.0);
    ui.label(RichText::new(title).heading());
    if !sub.is_empty() {
        ui.label(RichText::new(sub).weak().monospace());
    }
    ui.add_space(4.0);
}

/// A labelled single-line text field; returns the new text when it changed.
fn text_row(ui: &mut egui::Ui, label: &str, value: &str, id_salt: &str) -> Option<String> {
    let mut text = value.to_owned();
    let mut changed = false;
    ui.horizontal(|ui| {
        let l = ui.label(label);
        let w = ui.available_width();
        let r = ui
            .add(
                egui::TextEdit::singleline(&mut text)
                    .id_salt(id_salt)
                    .desired_width(w),
            )
            .labelled_by(l.id);
        changed = r.changed();
    });
    changed.then_some(text)
}

fn element_ui(
    ui: &mut egui::Ui,
    model: &Model,
    cat: &Catalog,
    e: &Element,
    out: &mut InspectorOut,
) {
    let st = cat.stencil(&e.kind);
    heading_ui(
        ui,
        st.map_or("Element", |s| s.stencil.name.as_str()),
        e.id.as_str(),
    );
    egui::Grid::new("element-grid")
        .num_columns(2)
        .spacing([8.0, 6.0])
        .striped(false)
        .show(ui, |ui| {
            if let Some(name) = name_row_ui(ui, &e.name, "") {
                out.push(
                    Edit::ReplaceElement(Element { name, ..e.clone() }),
                    format!("name:element:{}", e.id),
                );
            }
            ui.end_row();

            let kind_label = ui.label("Kind");
            let current = st.map_or(e.kind.clone(), |s| s.stencil.name.clone());
            egui::ComboBox::from_id_salt("element-kind")
                .selected_text(current)
                .width(ui.available_width())
                .show_ui(ui, |ui| {
                    for s in &cat.stencils {
                        let group = cat
                            .templates
                            .get(s.template)
                            .map_or("", |t| t.group.as_str());
                        let label = format!("{}  ({group})", s.stencil.name);
                        if ui
                            .selectable_label(s.stencil.kind == e.kind, label)
                            .clicked()
                            && s.stencil.kind != e.kind
                        {
                            // Keep only the properties the new kind declares.
                            let props: Props = e
                                .props
                                .iter()
                                .filter(|(k, _)| s.prop(k).is_some())
                                .map(|(k, v)| (k.clone(), v.clone()))
                                .collect();
                            out.push(
                                Edit::ReplaceElement(Element {
                                    kind: s.stencil.kind.clone(),
                                    props,
                                    ..e.clone()
                                }),
                                format!("kind:element:{}", e.id),
                            );
                        }
                    }
                })
                .response
                .labelled_by(kind_label.id);
            ui.end_row();

            let l = ui.label("Boundary");
            if let Some(b) = boundary_combo_ui(
                ui,
                "element-boundary",
                l.id,
                model,
                e.boundary.as_ref(),
                None,
            ) {
                out.push(
                    Edit::SetElementBoundary(e.id.clone(), b),
                    format!("boundary:element:{}", e.id),
                );
            }
            ui.end_row();
        });
    if let Some(marked) = super::paths::marks_ui(ui, e) {
        out.push(
            Edit::ReplaceElement(marked),
            format!("marks:element:{}", e.id),
        );
    }
    if st.is_none() {
        ui.colored_label(
            ui.visuals().error_fg_color,
            format!(
                "Unknown kind `{}`: no template declares it, so no rule applies",
                e.kind
            ),
        );
    }
    ui.separator();
    ui.label(RichText::new("Properties").strong());
    let specs: Vec<PropSpec> = st.map(|s| s.stencil.properties.clone()).unwrap_or_default();
    if let Some(from) = e.provenance.get("kind") {
        ui.label(RichText::new(format!("Imported from {from}; hover a property for its source")).weak())
            .on_hover_text("Re-importing the manifests (palisade import --merge, File › Re-sync from manifests) updates these values");
    }
    props_ui(
        ui,
        "element-props",
        &specs,
        &e.props,
        Some(&e.provenance),
        |name, v| {
            out.push(
                Edit::SetElementProp(e.id.clone(), name.to_owned(), v),
                format!("prop:element:{}:{name}", e.id),
            );
        },
    );
}

fn flow_ui(ui: &mut egui::Ui, model: &Model, cat: &Catalog, f: &Flow, out: &mut InspectorOut) {
    heading_ui(ui, "Data flow", f.id.as_str());
    let name_of = |id: &ElementId| {
        model
            .elements
            .get(id)
            .map_or(id.as_str().to_owned(), |e| e.name.clone())
    };
    egui::Grid::new("flow-grid")
        .num_columns(2)
        .spacing([8.0, 6.0])
        .show(ui, |ui| {
            if let Some(name) = name_row_ui(ui, &f.name, "label on the arrow") {
                out.push(
                    Edit::ReplaceFlow(Flow { name, ..f.clone() }),
                    format!("name:flow:{}", f.id),
                );
            }
            ui.end_row();
            let l = ui.label("From");
            if let Some(s) = element_combo_ui(ui, "flow-source", l.id, model, &f.source) {
                out.push(
                    Edit::ReplaceFlow(Flow {
                        source: s,
                        ..f.clone()
                    }),
                    format!("ends:flow:{}", f.id),
                );
            }
            ui.end_row();
            let l = ui.label("To");
            if let Some(t) = element_combo_ui(ui, "flow-target", l.id, model, &f.target) {
                out.push(
                    Edit::ReplaceFlow(Flow {
                        target: t,
                        ..f.clone()
                    }),
                    format!("ends:flow:{}", f.id),
                );
            }
            ui.end_row();
            relations::channel_row_ui(ui, f, out);
            ui.end_row();
        });
    if ui
        .button("Reverse direction")
        .on_hover_text(format!(
            "Make it flow from {} to {}",
            name_of(&f.target),
            name_of(&f.source)
        ))
        .clicked()
    {
        out.push(
            Edit::ReplaceFlow(Flow {
                source: f.target.clone(),
                target: f.source.clone(),
                ..f.clone()
            }),
            format!("reverse:flow:{}", f.id),
        );
        out.merge = None;
    }
    ui.separator();
    ui.label(RichText::new("Properties").strong());
    props_ui(
        ui,
        "flow-props",
        &cat.flow_props,
        &f.props,
        None,
        |name, v| {
            out.push(
                Edit::SetFlowProp(f.id.clone(), name.to_owned(), v),
                format!("prop:flow:{}:{name}", f.id),
            );
        },
    );
}

fn boundary_ui(
    ui: &mut egui::Ui,
    model: &Model,
    cat: &Catalog,
    b: &Boundary,
    out: &mut InspectorOut,
) {
    heading_ui(ui, "Trust boundary", b.id.as_str());
    egui::Grid::new("boundary-grid")
        .num_columns(2)
        .spacing([8.0, 6.0])
        .show(ui, |ui| {
            if let Some(name) = name_row_ui(ui, &b.name, "") {
                out.push(
                    Edit::ReplaceBoundary(Boundary { name, ..b.clone() }),
                    format!("name:boundary:{}", b.id),
                );
            }
            ui.end_row();
            let kind_label = ui.label("Kind");
            egui::ComboBox::from_id_salt("boundary-kind")
                .selected_text(b.kind.label())
                .show_ui(ui, |ui| {
                    for k in BoundaryKind::ALL {
                        if ui.selectable_label(k == b.kind, k.label()).clicked() && k != b.kind {
                            // A trust level nobody changed follows the kind's default (an
                            // Internet boundary starts untrusted); a chosen one stays.
                            let trust = if b.trust == b.kind.default_trust() {
                                k.default_trust()
                            } else {
                                b.trust
                            };
                            out.push(
                                Edit::ReplaceBoundary(Boundary {
                                    kind: k,
                                    trust,
                                    props: relations::props_for_kind(cat, b, k),
                                    ..b.clone()
                                }),
                                format!("kind:boundary:{}", b.id),
                            );
                        }
                    }
                })
                .response
                .labelled_by(kind_label.id);
            ui.end_row();
            let l = ui
                .label("Trust")
                .on_hover_text("0 = untrusted (the internet), 10 = most trusted");
            let mut trust = b.trust.min(10);
            let r = ui
                .add(egui::Slider::new(&mut trust, 0..=10))
                .labelled_by(l.id)
                .on_hover_text("0 = untrusted (the internet), 10 = most trusted");
            if r.changed() && trust != b.trust {
                out.push(
                    Edit::ReplaceBoundary(Boundary { trust, ..b.clone() }),
                    format!("trust:boundary:{}", b.id),
                );
            }
            ui.end_row();
            let l = ui.label("Inside");
            if let Some(p) = boundary_combo_ui(
                ui,
                "boundary-parent",
                l.id,
                model,
                b.parent.as_ref(),
                Some(&b.id),
            ) {
                out.push(
                    Edit::ReplaceBoundary(Boundary {
                        parent: p,
                        ..b.clone()
                    }),
                    format!("parent:boundary:{}", b.id),
                );
            }
            ui.end_row();
        });
    let members = model
        .elements
        .values()
        .filter(|e| e.boundary.as_ref() == Some(&b.id))
        .count();
    let children = model
        .boundaries
        .values()
        .filter(|c| c.parent.as_ref() == Some(&b.id))
        .count();
    ui.label(
        RichText::new(format!(
            "{members} elements and {children} boundaries directly inside"
        ))
        .weak(),
    );
}

fn model_ui(ui: &mut egui::Ui, model: &Model, analysis: &Analysis, out: &mut InspectorOut) {
    heading_ui(ui, "Model", "");
    let m = &model.metadata;
    if let Some(title) = text_row(ui, "Title", &m.title, "meta-title") {
        let mut n = m.clone();
        n.title = title;
        out.push(Edit::SetMetadata(n), "meta:title");
    }
    if let Some(owner) = text_row(ui, "Owner", &m.owner, "meta-owner") {
        let mut n = m.clone();
        n.owner = owner;
        out.push(Edit::SetMetadata(n), "meta:owner");
    }
    let l = ui.label("Description");
    let mut desc = m.description.clone();
    if ui
        .add(
            egui::TextEdit::multiline(&mut desc)
                .id_salt("meta-desc")
                .desired_rows(4)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(l.id)
        .changed()
    {
        let mut n = m.clone();
        n.description = desc;
        out.push(Edit::SetMetadata(n), "meta:description");
    }
    ui.separator();
    ui.label(format!(
        "{} elements · {} flows · {} boundaries",
        model.elements.len(),
        model.flows.len(),
        model.boundaries.len()
    ));
    ui.label(format!(
        "{} threats · {} diagnostics",
        analysis.threats.len(),
        analysis.diagnostics.len()
    ));
    ui.add_space(6.0);
    ui.label(RichText::new("Select an element, flow or boundary to edit it").weak());
}

fn multi_ui(ui: &mut egui::Ui, selection: &Selection, actions: &mut Vec<Action>) {
    heading_ui(ui, &format!("{} items selected", selection.len()), "");
    ui.label(format!(
        "{} elements · {} flows · {} boundaries",
        selection.elements.len(),
        selection.flows.len(),
        selection.boundaries.len()
    ));
    if !selection.relations.is_empty() {
        ui.label(format!("{} relations", selection.relations.len()));
    }
    ui.add_space(6.0);
    if selection.elements.len() >= 2 {
        ui.label(RichText::new("Align").strong());
        ui.horizontal_wrapped(|ui| {
            for a in Align::ALL {
                let short = match a {
                    Align::Left => "Left",
                    Align::CentreX => "Centre",
                    Align::Right => "Right",
                    Align::Top => "Top",
                    Align::CentreY => "Middle",
                    Align::Bottom => "Bottom",
                    Align::DistributeX => "Distribute H",
                    Align::DistributeY => "Distribute V",
                };
                if ui.button(short).on_hover_text(a.label()).clicked() {
                    actions.push(Action::Align(a));
                }
            }
        });
        ui.add_space(6.0);
    }
    ui.horizontal(|ui| {
        if ui.button("Duplicate").clicked() {
            actions.push(Action::Duplicate);
        }
        if ui.button("Delete").clicked() {
            actions.push(Action::Delete);
        }
    });
}

/// Widgets for a property schema. `set(name, value)` is called on a change; `None`
/// resets the property to its default.
fn props_ui(
    ui: &mut egui::Ui,
    id: &str,
    specs: &[PropSpec],
    props: &Props,
    provenance: Option<&std::collections::BTreeMap<String, String>>,
    mut set: impl FnMut(&str, Option<Value>),
) {
    if specs.is_empty() {
        ui.label(RichText::new("This kind declares no properties").weak());
    }
    // Fixed column widths: a long label is truncated (full text and doc on hover) so the
    // value and reset columns always fit, whatever is selected.
    let label_w = (ui.available_width() - 190.0).clamp(90.0, 240.0);
    egui::Grid::new(id)
        .num_columns(3)
        .spacing([8.0, 4.0])
        .min_col_width(0.0)
        .show(ui, |ui| {
            for spec in specs {
                let current = props.get(&spec.name);
                let is_set = current.is_some();
                let value = current.cloned().unwrap_or_else(|| spec.default.clone());
                let text = spec.display_label();
                let label = ui
                    .allocate_ui_with_layout(
                        egui::vec2(label_w, ui.spacing().interact_size.y),
                        egui::Layout::left_to_right(egui::Align::Center),
                        |ui| {
                            ui.set_width(label_w);
                            ui.add(egui::Label::new(&text).truncate())
                        },
                    )
                    .inner;
                let from = provenance.and_then(|p| p.get(&spec.name));
                let label = match (spec.doc.is_empty(), from) {
                    (true, None) => label,
                    (false, None) => label.on_hover_text(&spec.doc),
                    (true, Some(f)) => label.on_hover_text(format!("From {f}")),
                    (false, Some(f)) => label.on_hover_text(format!("{}\n\nFrom {f}", spec.doc)),
                };
                let id_salt = format!("{id}:{}", spec.name);
                let changed: Option<Value> = match (&spec.ty, &value) {
                    (PropType::Bool, v) => {
                        let mut b = matches!(v, Value::Bool(true));
                        let r = ui.checkbox(&mut b, "").labelled_by(label.id);
                        r.changed().then_some(Value::Bool(b))
                    }
                    (PropType::Number, v) => {
                        let mut n = if let Value::Number(n) = v { *n } else { 0.0 };
                        let r = ui
                            .add(egui::DragValue::new(&mut n).speed(1.0))
                            .labelled_by(label.id);
                        (r.changed() && n.is_finite()).then_some(Value::Number(n))
                    }
                    (PropType::Enum(opts), v) => {
                        let cur = if let Value::Text(s) = v {
                            s.clone()
                        } else {
                            String::new()
                        };
                        let mut pick = None;
                        egui::ComboBox::from_id_salt(&id_salt)
                            .selected_text(&cur)
                            .show_ui(ui, |ui| {
                                for o in opts {
                                    if ui.selectable_label(*o == cur, o).clicked() && *o != cur {
                                        pick = Some(Value::Text(o.clone()));
                                    }
                                }
                            })
                            .response
                            .labelled_by(label.id);
                        pick
                    }
                    (PropType::List, v) => {
                        // Edited as comma-separated items; stored as a sorted set.
                        let mut s = v.as_list().map(|l| l.join(", ")).unwrap_or_default();
                        let r = ui
                            .add(
                                egui::TextEdit::singleline(&mut s)
                                    .id_salt(&id_salt)
                                    .hint_text("comma separated")
                                    .desired_width(150.0),
                            )
                            .labelled_by(label.id);
                        r.changed().then(|| {
                            Value::list(
                                s.split(',')
                                    .map(str::trim)
                                    .filter(|x| !x.is_empty())
                                    .map(str::to_owned),
                            )
                        })
                    }
                    (PropType::Text, v) => {
                        let mut s = match v {
                            Value::Text(s) => s.clone(),
                            other => other.display(),
                        };
                        let r = ui
                            .add(
                                egui::TextEdit::singleline(&mut s)
                                    .id_salt(&id_salt)
                                    .desired_width(130.0),
                            )
                            .labelled_by(label.id);
                        r.changed().then_some(Value::Text(s))
                    }
                };
                if is_set {
                    let differs = current != Some(&spec.default);
                    let text = if differs { "reset" } else { "= default" };
                    if ui
                        .small_button(text)
                        .on_hover_text(format!(
                            "Back to the stencil default ({})",
                            display(&spec.default)
                        ))
                        .clicked()
                    {
                        set(&spec.name, None);
                    }
                } else {
                    ui.label(RichText::new("default").weak().small())
                        .on_hover_text("Not set on this item: the stencil default applies");
                }
                ui.end_row();
                if let Some(v) = changed {
                    set(&spec.name, Some(v));
                }
            }
        });
    // Values the schema does not declare (e.g. after a template changed).
    let unknown: Vec<(&String, &Value)> = props
        .iter()
        .filter(|(k, _)| !specs.iter().any(|s| s.name == **k))
        .collect();
    if !unknown.is_empty() {
        ui.add_space(4.0);
        ui.label(RichText::new("Not declared by the kind").weak());
        for (k, v) in unknown {
            ui.horizontal(|ui| {
                ui.label(format!("{k} = {}", display(v)));
                if ui.small_button("remove").clicked() {
                    set(k, None);
                }
            });
        }
    }
}

fn display(v: &Value) -> String {
    match v {
        Value::Number(n) => format_number(*n),
        other => other.display(),
    }
}

/// The "Name" row shared by elements, flows and boundaries: the edited name when the
/// text changed this frame.
fn name_row_ui(ui: &mut egui::Ui, current: &str, hint: &str) -> Option<String> {
    let l = ui.label("Name");
    let mut name = current.to_owned();
    let changed = ui
        .add(
            egui::TextEdit::singleline(&mut name)
                .id(name_field_id())
                .hint_text(hint)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(l.id)
        .changed();
    changed.then_some(name)
}

/// A combo box of boundaries (with "none"); `exclude` and its descendants are left out
/// (a boundary cannot be inside itself). Returns the new choice.
fn boundary_combo_ui(
    ui: &mut egui::Ui,
    id: &str,
    label: egui::Id,
    model: &Model,
    current: Option<&BoundaryId>,
    exclude: Option<&BoundaryId>,
) -> Option<Option<BoundaryId>> {
    let name = |b: &BoundaryId| {
        model
            .boundaries
            .get(b)
            .map_or(b.as_str().to_owned(), |x| x.name.clone())
    };
    let mut pick = None;
    let text = current.map_or("(outside every boundary)".to_owned(), name);
    egui::ComboBox::from_id_salt(id)
        .selected_text(text)
        .width(ui.available_width())
        .show_ui(ui, |ui| {
            if ui
                .selectable_label(current.is_none(), "(outside every boundary)")
                .clicked()
                && current.is_some()
            {
                pick = Some(None);
            }
            for (bid, _) in tree_order(model) {
                if let Some(x) = exclude
                    && model.boundary_chain(Some(&bid)).contains(x)
                {
                    continue;
                }
                let depth = super::canvas::layout::depth_of(model, &bid);
                let label = format!("{}{}", "    ".repeat(depth), name(&bid));
                if ui.selectable_label(current == Some(&bid), label).clicked()
                    && current != Some(&bid)
                {
                    pick = Some(Some(bid.clone()));
                }
            }
        })
        .response
        .labelled_by(label);
    pick
}

/// Boundaries in tree order (each parent followed by its children), by name.
fn tree_order(model: &Model) -> Vec<(BoundaryId, usize)> {
    let mut out = Vec::new();
    fn walk(
        model: &Model,
        parent: Option<&BoundaryId>,
        depth: usize,
        out: &mut Vec<(BoundaryId, usize)>,
    ) {
        if depth > 64 {
            return;
        }
        let mut kids: Vec<&Boundary> = model
            .boundaries
            .values()
            .filter(|b| b.parent.as_ref() == parent)
            .collect();
        kids.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        for k in kids {
            out.push((k.id.clone(), depth));
            walk(model, Some(&k.id), depth + 1, out);
        }
    }
    walk(model, None, 0, &mut out);
    // Boundaries in a cycle or with a dangling parent are still listed.
    for b in model.boundaries.keys() {
        if !out.iter().any(|(x, _)| x == b) {
            out.push((b.clone(), 0));
        }
    }
    out
}

fn element_combo_ui(
    ui: &mut egui::Ui,
    id: &str,
    label: egui::Id,
    model: &Model,
    current: &ElementId,
) -> Option<ElementId> {
    let name = model
        .elements
        .get(current)
        .map_or(current.as_str().to_owned(), |e| e.name.clone());
    let mut pick = None;
    egui::ComboBox::from_id_salt(id)
        .selected_text(name)
        .width(ui.available_width())
        .show_ui(ui, |ui| {
            let mut els: Vec<&Element> = model.elements.values().collect();
            els.sort_by(|a, b| a.name.cmp(&b.name));
            for e in els {
                if ui
                    .selectable_label(e.id == *current, format!("{}  ({})", e.name, e.id))
                    .clicked()
                    && e.id != *current
                {
                    pick = Some(e.id.clone());
                }
            }
        })
        .response
        .labelled_by(label);
    pick
}

/// The title of a threat: its rule's title, or the manual threat's.
pub fn threat_title<'a>(t: &Threat, model: &'a Model, cat: &'a Catalog) -> &'a str {
    match t.origin {
        Origin::Rule(ri) => cat.rules.get(ri).map_or("", |r| r.rule.title.as_str()),
        Origin::Manual => model
            .manual_threats
            .get(&t.id)
            .map_or("", |m| m.title.as_str()),
    }
}

fn threats_of_ui(
    ui: &mut egui::Ui,
    model: &Model,
    cat: &Catalog,
    analysis: &Analysis,
    selection: &mut Selection,
    about: impl Fn(&Threat) -> bool,
    crossing_names_flow: bool,
) {
    let mut list: Vec<&Threat> = analysis.threats.iter().filter(|t| about(t)).collect();
    ui.separator();
    let open = list
        .iter()
        .filter(|t| t.status(model).is_untriaged())
        .count();
    ui.label(RichText::new(format!("Threats: {} ({open} open)", list.len())).strong());
    if list.is_empty() {
        ui.label(RichText::new("No rule fires on this item").weak());
        return;
    }
    list.sort_by(|a, b| {
        b.status(model)
            .is_untriaged()
            .cmp(&a.status(model).is_untriaged())
            .then_with(|| b.severity(model).cmp(&a.severity(model)))
            .then_with(|| a.id.cmp(&b.id))
    });
    let dark = ui.visuals().dark_mode;
    for t in list {
        let sev = t.severity(model);
        let status = t.status(model);
        ui.horizontal(|ui| {
            let (fill, text) = if status.is_untriaged() {
                (
                    theme::severity_color(sev, dark),
                    theme::severity_text_color(sev, dark),
                )
            } else {
                (theme::triaged_color(dark), egui::Color32::BLACK)
            };
            ui.label(
                RichText::new(format!(
                    " {} {} ",
                    theme::severity_letter(sev),
                    t.category.letter()
                ))
                .color(text)
                .background_color(fill)
                .monospace(),
            )
            .on_hover_text(format!("{} · {}", sev.label(), t.category.label()));
            let selected = selection.threats.contains(&t.id);
            let mut title = threat_title(t, model, cat).to_owned();
            if let Subject::Crossing(f, b) = &t.subject {
                // Name the other party of the crossing: the flow when looking at a
                // boundary, the boundary when looking at a flow.
                let other = if crossing_names_flow {
                    model.flows.get(f).map_or(f.as_str().to_owned(), |fl| {
                        let label = super::canvas::flow_label(fl);
                        if label.is_empty() {
                            fl.id.as_str().to_owned()
                        } else {
                            label
                        }
                    })
                } else {
                    model
                        .boundaries
                        .get(b)
                        .map_or(b.as_str().to_owned(), |x| x.name.clone())
                };
                title = format!("{title}: {other}");
            } else if let (true, Subject::Flow(f)) = (crossing_names_flow, &t.subject) {
                // Under a boundary, a flow's crossing threat names its flow.
                let label = model
                    .flows
                    .get(f)
                    .map_or(String::new(), super::canvas::flow_label);
                title = format!(
                    "{title}: {}",
                    if label.is_empty() { f.as_str() } else { &label }
                );
            }
            let label = if status.is_untriaged() {
                title
            } else {
                format!("{title} ({})", status.label())
            };
            if ui
                .add(egui::Button::selectable(selected, label).truncate())
                .on_hover_text(format!(
                    "{}\n{} · {} · {}",
                    t.id,
                    t.category.label(),
                    sev.label(),
                    status.label()
                ))
                .clicked()
            {
                selection.threats.clear();
                selection.threats.insert(t.id.clone());
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_labels_read_as_words() {
        let cat = crate::rules::Catalog::builtin();
        let spec = cat
            .stencil("docker.daemon")
            .and_then(|s| s.prop("tls_verify"))
            .cloned();
        let Some(mut spec) = spec else {
            panic!("docker.daemon declares tls_verify")
        };
        assert_eq!(spec.display_label(), "TLS verification");
        spec.label.clear();
        assert_eq!(spec.display_label(), "Tls verify", "the key, readable");
        spec.name = "mutual_auth".into();
        assert_eq!(spec.display_label(), "Mutual auth");
    }

    #[test]
    fn tree_order_lists_children_after_parents() {
        let text = include_str!("../../tests/rules/models/generic-open.ron");
        let Ok(l) = crate::persist::load_bytes("m", text.as_bytes()) else {
            panic!("loads")
        };
        let mut m = l.model;
        let mut child = m.boundaries[&BoundaryId::from("dc")].clone();
        child.id = "app".into();
        child.name = "App".into();
        child.parent = Some("dc".into());
        m.boundaries.insert(child.id.clone(), child);
        let order: Vec<String> = tree_order(&m).into_iter().map(|(b, _)| b.0).collect();
        assert_eq!(order, vec!["dc", "app", "internet"]);
    }
}
