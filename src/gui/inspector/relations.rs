//! The inspector's parts for the richer model language: a flow's channel, a boundary's
//! typed properties, an element's relations (outgoing and incoming, add and remove), and
//! a selected relation's own page (kind, ends, properties).

use super::{InspectorOut, props_ui};
use crate::gui::selection::{Item, Selection};
use crate::model::{
    Boundary, Channel, Edit, Element, ElementId, Flow, Model, Props, Relation, RelationId,
};
use crate::rules::{Catalog, RelationKind};
use eframe::egui::{self, RichText};

/// The name a reviewer reads for a channel in the inspector.
pub fn channel_name(c: Channel) -> &'static str {
    match c {
        Channel::Network => "Network",
        Channel::Loopback => "Loopback",
        Channel::UnixSocket => "Unix socket",
        Channel::SharedFile => "Shared file / hostPath",
        Channel::SharedVolume => "Shared volume",
        Channel::Ipc => "IPC",
    }
}

fn channel_hint(c: Channel) -> &'static str {
    match c {
        Channel::Network => "Across a network: interception, replay and flooding apply",
        Channel::Loopback => "Over one host's loopback interface (127.0.0.1, a pod's localhost)",
        Channel::UnixSocket => "Through a Unix domain socket (e.g. /var/run/docker.sock)",
        Channel::SharedFile => "Through a file on a shared filesystem or a hostPath",
        Channel::SharedVolume => "Through a volume both ends mount (emptyDir, a Docker volume)",
        Channel::Ipc => "Local inter-process communication (pipes, shared memory)",
    }
}

/// The "Channel" row of the flow grid: one undo step per change.
pub(super) fn channel_row_ui(ui: &mut egui::Ui, f: &Flow, out: &mut InspectorOut) {
    let l = ui
        .label("Channel")
        .on_hover_text("How the data travels; transit rules apply only to a network");
    let mut pick = None;
    egui::ComboBox::from_id_salt("flow-channel")
        .selected_text(channel_name(f.channel))
        .width(ui.available_width())
        .show_ui(ui, |ui| {
            for c in Channel::ALL {
                if ui
                    .selectable_label(c == f.channel, channel_name(c))
                    .on_hover_text(channel_hint(c))
                    .clicked()
                    && c != f.channel
                {
                    pick = Some(c);
                }
            }
        })
        .response
        .labelled_by(l.id)
        .on_hover_text(channel_hint(f.channel));
    if let Some(channel) = pick {
        out.edits.push(Edit::ReplaceFlow(Flow {
            channel,
            ..f.clone()
        }));
        out.merge = None;
    }
}

/// The typed properties of a boundary's kind, edited like an element's.
pub(super) fn boundary_props_ui(
    ui: &mut egui::Ui,
    cat: &Catalog,
    b: &Boundary,
    out: &mut InspectorOut,
) {
    ui.separator();
    ui.label(RichText::new("Properties").strong());
    props_ui(
        ui,
        "boundary-props",
        cat.boundary_props(b.kind),
        &b.props,
        None,
        |name, v| {
            out.push(
                Edit::SetBoundaryProp(b.id.clone(), name.to_owned(), v),
                format!("prop:boundary:{}:{name}", b.id),
            );
        },
    );
}

/// The properties a boundary keeps when its kind changes: those the new kind declares.
pub(super) fn props_for_kind(
    cat: &Catalog,
    b: &Boundary,
    kind: crate::model::BoundaryKind,
) -> Props {
    b.props
        .iter()
        .filter(|(k, _)| cat.boundary_prop(kind, k).is_some())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A relation kind's display name (its id when no template declares it).
pub fn relation_name<'a>(cat: &'a Catalog, kind: &'a str) -> &'a str {
    cat.relation_kind(kind).map_or(kind, |k| k.name.as_str())
}

fn element_name(model: &Model, id: &ElementId) -> String {
    model
        .elements
        .get(id)
        .map_or_else(|| format!("{id} (missing)"), |e| e.name.clone())
}

/// Relation kinds that may start at an element of this kind.
pub fn kinds_from<'a>(cat: &'a Catalog, kind: &str) -> Vec<&'a RelationKind> {
    cat.relation_kinds
        .iter()
        .filter(|rk| cat.kind_matches(kind, &rk.from))
        .collect()
}

/// Elements a relation of kind `rk` starting at `from` may point to, by name.
pub fn targets_for<'a>(
    model: &'a Model,
    cat: &Catalog,
    rk: &RelationKind,
    from: &ElementId,
) -> Vec<&'a Element> {
    let mut v: Vec<&Element> = model
        .elements
        .values()
        .filter(|e| e.id != *from && cat.kind_matches(&e.kind, &rk.to))
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    v
}

/// The half-filled "Add relation" form of one element, kept in egui's memory.
#[derive(Clone, Debug, Default)]
struct AddForm {
    open: bool,
    kind: Option<String>,
    target: Option<ElementId>,
}

/// The element's relations: outgoing then incoming, each with the far end (click to
/// select it), the relation itself (click to edit its properties) and a remove button;
/// then "Add relation…".
pub(super) fn element_relations_ui(
    ui: &mut egui::Ui,
    model: &Model,
    cat: &Catalog,
    e: &Element,
    selection: &mut Selection,
    out: &mut InspectorOut,
) {
    ui.separator();
    let outgoing: Vec<&Relation> = model
        .relations
        .values()
        .filter(|r| r.source == e.id)
        .collect();
    let incoming: Vec<&Relation> = model
        .relations
        .values()
        .filter(|r| r.target == e.id && r.source != e.id)
        .collect();
    ui.label(RichText::new(format!("Relations ({})", outgoing.len() + incoming.len())).strong());
    let mut select: Option<Item> = None;
    let mut remove: Option<RelationId> = None;
    if outgoing.is_empty() && incoming.is_empty() {
        ui.label(RichText::new("No relations").weak());
    }
    for (r, out_going) in outgoing
        .iter()
        .map(|r| (*r, true))
        .chain(incoming.iter().map(|r| (*r, false)))
    {
        let far = if out_going { &r.target } else { &r.source };
        let kind = relation_name(cat, &r.kind);
        // Read as a sentence: "uses service account → payments-sa" (this element
        // uses it) or "selects ← default-deny" (that element selects this one).
        let hover = if out_going {
            format!("{} {kind} {}", e.name, element_name(model, far))
        } else {
            format!("{} {kind} {}", element_name(model, far), e.name)
        };
        ui.push_id(r.id.as_str(), |ui| {
            let row = egui::vec2(ui.available_width(), ui.spacing().interact_size.y);
            let rtl = egui::Layout::right_to_left(egui::Align::Center);
            ui.allocate_ui_with_layout(row, rtl, |ui| {
                if ui
                    .small_button("Remove")
                    .on_hover_text(format!("Remove: {hover}"))
                    .clicked()
                {
                    remove = Some(r.id.clone());
                }
                ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                    ui.spacing_mut().item_spacing.x = 4.0;
                    if ui
                        .selectable_label(selection.relations.contains(&r.id), kind)
                        .on_hover_text(format!("{hover}\nClick to edit the relation"))
                        .clicked()
                    {
                        select = Some(Item::Relation(r.id.clone()));
                    }
                    ui.label(RichText::new(if out_going { "→" } else { "←" }).weak());
                    let link = egui::Button::new(
                        RichText::new(element_name(model, far)).color(ui.visuals().hyperlink_color),
                    )
                    .frame(false)
                    .truncate();
                    if ui.add(link).on_hover_text("Select this element").clicked()
                        && model.elements.contains_key(far)
                    {
                        select = Some(Item::Element(far.clone()));
                    }
                });
            });
        });
    }
    if let Some(id) = remove {
        out.edits.push(Edit::RemoveRelation(id));
        out.merge = None;
    }
    add_relation_ui(ui, model, cat, e, out);
    if let Some(item) = select {
        selection.select_only(item);
    }
}

fn add_relation_ui(
    ui: &mut egui::Ui,
    model: &Model,
    cat: &Catalog,
    e: &Element,
    out: &mut InspectorOut,
) {
    let kinds = kinds_from(cat, &e.kind);
    if kinds.is_empty() {
        ui.label(RichText::new("No relation kind starts at this kind").weak());
        return;
    }
    let form_id = egui::Id::unique(("palisade-add-relation", e.id.as_str()));
    let mut form: AddForm = ui.data(|d| d.get_temp(form_id)).unwrap_or_default();
    if !form.open {
        if ui
            .button("Add relation…")
            .on_hover_text("Link this element to another by a relation kind")
            .clicked()
        {
            form.open = true;
        }
        ui.data_mut(|d| d.insert_temp(form_id, form));
        return;
    }
    // A kind picked earlier that no longer applies (the element's kind changed) is dropped.
    if let Some(k) = &form.kind
        && !kinds.iter().any(|rk| rk.kind == *k)
    {
        form.kind = None;
        form.target = None;
    }
    let chosen = form
        .kind
        .as_ref()
        .and_then(|k| kinds.iter().find(|rk| rk.kind == *k).copied());
    let targets = chosen
        .map(|rk| targets_for(model, cat, rk, &e.id))
        .unwrap_or_default();
    if let Some(t) = &form.target
        && !targets.iter().any(|x| x.id == *t)
    {
        form.target = None;
    }
    let mut add = false;
    let mut cancel = false;
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(RichText::new("New relation").strong());
        egui::Grid::new("add-relation-grid")
            .num_columns(2)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                let l = ui.label("Relation");
                egui::ComboBox::from_id_salt("add-relation-kind")
                    .selected_text(chosen.map_or("(choose)", |rk| rk.name.as_str()))
                    .width(ui.available_width())
                    .show_ui(ui, |ui| {
                        for rk in &kinds {
                            let picked = form.kind.as_deref() == Some(rk.kind.as_str());
                            let r = ui.selectable_label(picked, &rk.name);
                            let r = if rk.doc.is_empty() {
                                r.on_hover_text(&rk.kind)
                            } else {
                                r.on_hover_text(format!("{}\n{}", rk.kind, rk.doc))
                            };
                            if r.clicked() && !picked {
                                form.kind = Some(rk.kind.clone());
                                form.target = None;
                            }
                        }
                    })
                    .response
                    .labelled_by(l.id);
                ui.end_row();
                let l = ui.label("Target");
                let current = form
                    .target
                    .as_ref()
                    .map_or("(choose)".to_owned(), |t| element_name(model, t));
                ui.add_enabled_ui(chosen.is_some(), |ui| {
                    egui::ComboBox::from_id_salt("add-relation-target")
                        .selected_text(current)
                        .width(ui.available_width())
                        .show_ui(ui, |ui| {
                            if targets.is_empty() {
                                ui.label(RichText::new("No element of a matching kind").weak());
                            }
                            for t in &targets {
                                let picked = form.target.as_ref() == Some(&t.id);
                                if ui
                                    .selectable_label(picked, format!("{}  ({})", t.name, t.id))
                                    .clicked()
                                {
                                    form.target = Some(t.id.clone());
                                }
                            }
                        })
                        .response
                        .labelled_by(l.id);
                });
                ui.end_row();
            });
        if chosen.is_some() && targets.is_empty() {
            ui.label(
                RichText::new("No element in the model has a kind this relation can point to")
                    .weak(),
            );
        }
        ui.horizontal(|ui| {
            let ready = chosen.is_some() && form.target.is_some();
            if ui.add_enabled(ready, egui::Button::new("Add")).clicked() {
                add = true;
            }
            if ui.button("Cancel").clicked() {
                cancel = true;
            }
        });
    });
    if add && let (Some(rk), Some(target)) = (chosen, form.target.clone()) {
        let id = model.fresh_id("relation");
        out.edits.push(Edit::AddRelation(Relation {
            id: RelationId::from(id.as_str()),
            kind: rk.kind.clone(),
            source: e.id.clone(),
            target,
            props: Props::new(),
        }));
        out.merge = None;
        form = AddForm::default();
    }
    if cancel {
        form = AddForm::default();
    }
    ui.data_mut(|d| d.insert_temp(form_id, form));
}

/// A selected relation: its kind (among those that fit both ends), its ends (click to
/// select), its properties, and a remove button.
pub(super) fn relation_ui(
    ui: &mut egui::Ui,
    model: &Model,
    cat: &Catalog,
    r: &Relation,
    selection: &mut Selection,
    out: &mut InspectorOut,
) {
    let rk = cat.relation_kind(&r.kind);
    super::heading_ui(ui, "Relation", r.id.as_str());
    let kind_of = |id: &ElementId| model.elements.get(id).map(|e| e.kind.clone());
    let (src_kind, tgt_kind) = (kind_of(&r.source), kind_of(&r.target));
    let mut select = None;
    egui::Grid::new("relation-grid")
        .num_columns(2)
        .spacing([8.0, 6.0])
        .show(ui, |ui| {
            let l = ui.label("Kind");
            egui::ComboBox::from_id_salt("relation-kind")
                .selected_text(relation_name(cat, &r.kind))
                .width(ui.available_width())
                .show_ui(ui, |ui| {
                    for k in &cat.relation_kinds {
                        let fits = src_kind
                            .as_ref()
                            .is_some_and(|s| cat.kind_matches(s, &k.from))
                            && tgt_kind
                                .as_ref()
                                .is_some_and(|t| cat.kind_matches(t, &k.to));
                        if !fits && k.kind != r.kind {
                            continue;
                        }
                        if ui.selectable_label(k.kind == r.kind, &k.name).clicked()
                            && k.kind != r.kind
                        {
                            // Keep only the properties the new kind declares.
                            let props = r
                                .props
                                .iter()
                                .filter(|(n, _)| k.properties.iter().any(|p| p.name == **n))
                                .map(|(n, v)| (n.clone(), v.clone()))
                                .collect();
                            out.edits.push(Edit::ReplaceRelation(Relation {
                                kind: k.kind.clone(),
                                props,
                                ..r.clone()
                            }));
                            out.merge = None;
                        }
                    }
                })
                .response
                .labelled_by(l.id);
            ui.end_row();
            for (label, end) in [("From", &r.source), ("To", &r.target)] {
                ui.label(label);
                if ui
                    .link(element_name(model, end))
                    .on_hover_text("Select this element")
                    .clicked()
                    && model.elements.contains_key(end)
                {
                    select = Some(Item::Element(end.clone()));
                }
                ui.end_row();
            }
        });
    match rk {
        Some(k) if !k.doc.is_empty() => {
            ui.label(RichText::new(&k.doc).weak());
        }
        Some(_) => {}
        None => {
            ui.colored_label(
                ui.visuals().error_fg_color,
                format!(
                    "Unknown relation kind `{}`: no template declares it",
                    r.kind
                ),
            );
        }
    }
    if let (Some(k), Some(s), Some(t)) = (rk, &src_kind, &tgt_kind)
        && (!cat.kind_matches(s, &k.from) || !cat.kind_matches(t, &k.to))
    {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            "The kinds of its ends do not fit this relation kind",
        );
    }
    ui.separator();
    ui.label(RichText::new("Properties").strong());
    let specs = rk.map_or(&[][..], |k| k.properties.as_slice());
    props_ui(ui, "relation-props", specs, &r.props, None, |name, v| {
        let mut n = r.clone();
        match v {
            Some(v) => {
                n.props.insert(name.to_owned(), v);
            }
            None => {
                n.props.remove(name);
            }
        }
        out.push(
            Edit::ReplaceRelation(n),
            format!("prop:relation:{}:{name}", r.id),
        );
    });
    ui.add_space(6.0);
    if ui.button("Remove relation").clicked() {
        out.edits.push(Edit::RemoveRelation(r.id.clone()));
        out.merge = None;
    }
    if let Some(item) = select {
        selection.select_only(item);
    }
}
