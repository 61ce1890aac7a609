//! The diagram as a display list in diagram coordinates (y down): the same shapes,
//! boundaries, labels and badges as the canvas, built once and drawn by the PDF and the
//! SVG (HTML) back ends. Sizes and flow curves come from [`crate::geometry`], so the
//! report matches the canvas.

use super::fonts::Fonts;
use super::style::{self, Rgb};
use crate::analysis::{Analysis, Subject};
use crate::geometry;
use crate::model::{BoundaryId, ElementId, FlowId, Model, Severity};
use crate::rules::{BaseShape, Catalog};
use std::collections::BTreeMap;

/// Font size of element names, in diagram units; the legibility test is based on it.
pub const NAME_SIZE: f64 = 12.0;
/// Font size of flow labels.
pub const LABEL_SIZE: f64 = 10.0;
/// Font size of boundary titles.
pub const TITLE_SIZE: f64 = 11.0;
/// Height of a boundary's title tab (above its rectangle).
pub const TAB_H: f64 = 20.0;

/// A point in diagram coordinates.
pub type P = (f64, f64);

/// A path segment.
#[derive(Clone, Debug, PartialEq)]
pub enum Seg {
    /// Start a subpath.
    Move(P),
    /// Straight line.
    Line(P),
    /// Cubic Bézier: two control points and the end point.
    Cubic(P, P, P),
}

/// How a shape is outlined.
#[derive(Clone, Debug, PartialEq)]
pub struct Stroke {
    /// Colour.
    pub color: Rgb,
    /// Width in diagram units.
    pub width: f64,
    /// Dash and gap lengths, for dashed lines.
    pub dash: Option<(f64, f64)>,
}

/// Horizontal anchor of a text item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    /// `x` is the left edge.
    Start,
    /// `x` is the centre.
    Middle,
}

/// One drawing instruction.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// A rectangle, rounded when `radius > 0`.
    Rect {
        /// Left.
        x: f64,
        /// Top.
        y: f64,
        /// Width.
        w: f64,
        /// Height.
        h: f64,
        /// Corner radius.
        radius: f64,
        /// Fill colour.
        fill: Option<Rgb>,
        /// Outline.
        stroke: Option<Stroke>,
    },
    /// A path.
    Path {
        /// Segments.
        segs: Vec<Seg>,
        /// Close the path.
        closed: bool,
        /// Fill colour (closed paths).
        fill: Option<Rgb>,
        /// Outline.
        stroke: Option<Stroke>,
    },
    /// A line of text.
    Text {
        /// Anchor x.
        x: f64,
        /// Baseline y.
        y: f64,
        /// Font size in diagram units.
        size: f64,
        /// Bold face.
        bold: bool,
        /// Colour.
        color: Rgb,
        /// Anchor.
        anchor: Anchor,
        /// The text.
        text: String,
        /// Its measured width.
        width: f64,
    },
}

/// The diagram ready to draw.
#[derive(Clone, Debug, Default)]
pub struct Scene {
    /// Drawing instructions, back to front.
    pub items: Vec<Item>,
    /// `(min_x, min_y, max_x, max_y)` of everything drawn.
    pub bounds: (f64, f64, f64, f64),
    /// Every element's name as drawn (possibly over two lines), by element id.
    pub names: BTreeMap<ElementId, Vec<String>>,
    /// The line of every flow between two elements, with the names of its ends, in flow
    /// id order: a page that shows part of the diagram labels the flows it cuts.
    pub flow_paths: Vec<FlowPath>,
    /// How many relations are drawn (dotted lines), so the legend can explain them.
    pub relations: usize,
}

/// A flow's line and the names of the elements at its ends.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowPath {
    /// The line, from the source's edge to the target's (a move, then a line or a curve).
    pub segs: Vec<Seg>,
    /// Name of the source element.
    pub source: String,
    /// Name of the target element.
    pub target: String,
}

/// Open-threat summary of an element or a flow.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Badge {
    /// Untriaged threats.
    pub open: usize,
    /// All threats.
    pub total: usize,
    /// Highest severity among the untriaged ones.
    pub worst: Option<Severity>,
}

impl Badge {
    fn add(&mut self, sev: Severity, open: bool) {
        self.total += 1;
        if open {
            self.open += 1;
            self.worst = Some(self.worst.map_or(sev, |w| w.max(sev)));
        }
    }
}

/// Badges per element and per flow (a crossing counts for its flow).
pub fn badges(
    model: &Model,
    analysis: &Analysis,
) -> (BTreeMap<ElementId, Badge>, BTreeMap<FlowId, Badge>) {
    let mut el: BTreeMap<ElementId, Badge> = BTreeMap::new();
    let mut fl: BTreeMap<FlowId, Badge> = BTreeMap::new();
    let naming = crate::analysis::controls::Naming::new(model);
    for t in &analysis.threats {
        let sev = t.severity(model);
        let open = t.status_by(model, &naming).is_untriaged();
        match &t.subject {
            Subject::Element(e) => el.entry(e.clone()).or_default().add(sev, open),
            Subject::Flow(f) | Subject::Crossing(f, _) => {
                fl.entry(f.clone()).or_default().add(sev, open)
            }
            _ => {}
        }
    }
    (el, fl)
}

struct Builder<'a> {
    fonts: &'a Fonts,
    items: Vec<Item>,
    bounds: Option<(f64, f64, f64, f64)>,
}

impl Builder<'_> {
    fn grow(&mut self, x0: f64, y0: f64, x1: f64, y1: f64) {
        if !(x0.is_finite() && y0.is_finite() && x1.is_finite() && y1.is_finite()) {
            return;
        }
        self.bounds = Some(match self.bounds {
            None => (x0.min(x1), y0.min(y1), x0.max(x1), y0.max(y1)),
            Some((a, b, c, d)) => (
                a.min(x0).min(x1),
                b.min(y0).min(y1),
                c.max(x0).max(x1),
                d.max(y0).max(y1),
            ),
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn rect(
        &mut self,
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        radius: f64,
        fill: Option<Rgb>,
        stroke: Option<Stroke>,
    ) {
        self.grow(x, y, x + w, y + h);
        self.items.push(Item::Rect {
            x,
            y,
            w,
            h,
            radius,
            fill,
            stroke,
        });
    }

    fn path(&mut self, segs: Vec<Seg>, closed: bool, fill: Option<Rgb>, stroke: Option<Stroke>) {
        for s in &segs {
            match *s {
                Seg::Move(p) | Seg::Line(p) => self.grow(p.0, p.1, p.0, p.1),
                Seg::Cubic(a, b, c) => {
                    for p in [a, b, c] {
                        self.grow(p.0, p.1, p.0, p.1);
                    }
                }
            }
        }
        self.items.push(Item::Path {
            segs,
            closed,
            fill,
            stroke,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn text(
        &mut self,
        x: f64,
        y: f64,
        size: f64,
        bold: bool,
        color: Rgb,
        anchor: Anchor,
        text: String,
    ) {
        let width = self.fonts.width(&text, size, bold);
        let x0 = match anchor {
            Anchor::Start => x,
            Anchor::Middle => x - width / 2.0,
        };
        self.grow(x0, y - size, x0 + width, y + size * 0.3);
        self.items.push(Item::Text {
            x,
            y,
            size,
            bold,
            color,
            anchor,
            text,
            width,
        });
    }

    /// A pill-shaped badge centred at `(cx, cy)`.
    fn badge(&mut self, cx: f64, cy: f64, b: &Badge) {
        if b.total == 0 {
            return;
        }
        let (fill, color, text) = badge_look(b);
        let size = BADGE_SIZE;
        let w = self.fonts.width(&text, size, true) + 10.0;
        let h = 15.0;
        let stroke = Some(Stroke {
            color: style::WHITE,
            width: 1.0,
            dash: None,
        });
        self.rect(
            cx - w / 2.0,
            cy - h / 2.0,
            w,
            h,
            h / 2.0,
            Some(fill),
            stroke,
        );
        self.text(cx, cy + 3.3, size, true, color, Anchor::Middle, text);
    }
}

/// Font size of badge text.
const BADGE_SIZE: f64 = 9.0;

/// An element name in lines of at most `max` points: broken between words; a word too
/// wide for a line is broken only after a `-`, `/`, `_`, `.` or `:` that leaves at least
/// four characters on each side ("registry." / "example.com", never "registry.example."
/// / "com"), else shortened with an ellipsis.
pub fn name_lines(fonts: &Fonts, name: &str, size: f64, max: f64) -> Vec<String> {
    let fits = |s: &str| fonts.width(s, size, false) <= max;
    // Pieces, each marked with whether it starts a word (then a space goes before it).
    let mut pieces: Vec<(String, bool)> = Vec::new();
    for word in name.split_whitespace() {
        let mut rest = word;
        let mut first = true;
        while !fits(rest) {
            let chars: Vec<(usize, char)> = rest.char_indices().collect();
            let n = chars.len();
            // After a separator with 4+ characters on both sides; the longest head
            // that fits.
            let cut = chars
                .iter()
                .enumerate()
                .rev()
                .filter(|(k, (_, c))| {
                    matches!(c, '-' | '/' | '_' | '.' | ':') && *k + 1 >= 4 && n - (*k + 1) >= 4
                })
                .map(|(_, (i, c))| i + c.len_utf8())
                .find(|&i| fits(&rest[..i]));
            let Some(i) = cut else { break };
            pieces.push((rest[..i].to_owned(), first));
            first = false;
            rest = &rest[i..];
        }
        let last = if fits(rest) {
            rest.to_owned()
        } else {
            fonts.ellipsize(rest, size, false, max)
        };
        pieces.push((last, first));
    }
    let mut lines: Vec<String> = Vec::new();
    for (p, starts_word) in pieces {
        if let Some(last) = lines.last_mut() {
            let joined = if starts_word {
                format!("{last} {p}")
            } else {
                format!("{last}{p}")
            };
            if fits(&joined) {
                *last = joined;
                continue;
            }
        }
        lines.push(p);
    }
    lines
}

/// Fill, text colour and text of a badge.
fn badge_look(b: &Badge) -> (Rgb, Rgb, String) {
    match b.worst {
        Some(s) if b.open > 0 => (
            style::severity_color(s),
            style::severity_text(s),
            format!("{} {}", b.open, style::severity_letter(s)),
        ),
        _ => (style::TRIAGED, style::WHITE, format!("✓ {}", b.total)),
    }
}

fn solid(color: Rgb, width: f64) -> Option<Stroke> {
    Some(Stroke {
        color,
        width,
        dash: None,
    })
}

/// Nesting depth of a boundary (0 = top level).
pub fn depth(model: &Model, b: &BoundaryId) -> usize {
    model.boundary_chain(Some(b)).len().saturating_sub(1)
}

/// Relations as thin dotted lines with an open arrowhead, under the elements and without
/// labels (the report's relations table names them), so the diagram stays readable.
fn relation_lines(b: &mut Builder<'_>, model: &Model, cat: &Catalog) -> usize {
    let mut drawn = 0;
    let dotted = Some(Stroke {
        color: style::RELATION,
        width: 1.1,
        dash: Some((1.5, 2.5)),
    });
    let solid_thin = solid(style::RELATION, 1.0);
    for r in model.relations.values() {
        let (Some(src), Some(dst)) = (model.elements.get(&r.source), model.elements.get(&r.target))
        else {
            continue;
        };
        if r.source == r.target {
            continue;
        }
        let ra = geometry::element_rect(cat, src);
        let rb = geometry::element_rect(cat, dst);
        let ca = (ra.0 + ra.2 / 2.0, ra.1 + ra.3 / 2.0);
        let cb = (rb.0 + rb.2 / 2.0, rb.1 + rb.3 / 2.0);
        let p0 = geometry::clip_to_rect(ra, cb);
        let p1 = geometry::clip_to_rect(rb, ca);
        let (dx, dy) = (p1.0 - p0.0, p1.1 - p0.1);
        let len = (dx * dx + dy * dy).sqrt();
        if !len.is_finite() || len < 1.0 {
            continue;
        }
        b.path(
            vec![Seg::Move(p0), Seg::Line(p1)],
            false,
            None,
            dotted.clone(),
        );
        let (ux, uy) = (dx / len, dy / len);
        let (l, hw) = (7.0, 3.5);
        let base = (p1.0 - ux * l, p1.1 - uy * l);
        b.path(
            vec![
                Seg::Move((base.0 - uy * hw, base.1 + ux * hw)),
                Seg::Line(p1),
                Seg::Line((base.0 + uy * hw, base.1 - ux * hw)),
            ],
            false,
            None,
            solid_thin.clone(),
        );
        drawn += 1;
    }
    drawn
}

/// A rectangle `(x0, y0, x1, y1)`.
type Rect = (f64, f64, f64, f64);

/// Rectangles in a uniform grid, so that the label placement of [`build`] tests a place
/// against the boxes near it instead of every box drawn so far (20,000 flow labels
/// against 30,000 boxes was minutes of work). Answers are those of a scan over every
/// box in the order they were added: overlap areas are summed in that order.
#[derive(Default)]
struct Boxes {
    rects: Vec<Rect>,
    /// Indices into `rects` of the boxes that touch each cell.
    cells: std::collections::HashMap<(i64, i64), Vec<u32>>,
    /// Boxes too large (or not finite) for the grid: always tested.
    wide: Vec<u32>,
}

/// Cell side, in diagram units (an element is about 140 wide).
const CELL: f64 = 256.0;
/// Most cells a box may cover before it goes to the always-tested list.
const MAX_CELLS: i64 = 64;

impl From<Vec<Rect>> for Boxes {
    fn from(rects: Vec<Rect>) -> Self {
        let mut b = Boxes::default();
        for r in rects {
            b.push(r);
        }
        b
    }
}

impl Boxes {
    /// The cells `r` covers, `None` when it is too large or not finite.
    fn span(r: Rect) -> Option<(i64, i64, i64, i64)> {
        if ![r.0, r.1, r.2, r.3].iter().all(|v| v.is_finite()) {
            return None;
        }
        // `as` saturates; a box that far out covers too many cells anyway.
        let c = |v: f64| (v / CELL).floor() as i64;
        let (x0, y0, x1, y1) = (c(r.0), c(r.1), c(r.2), c(r.3));
        let n = (x1.saturating_sub(x0).saturating_add(1))
            .saturating_mul(y1.saturating_sub(y0).saturating_add(1));
        (x1 >= x0 && y1 >= y0 && n <= MAX_CELLS).then_some((x0, y0, x1, y1))
    }

    fn push(&mut self, r: Rect) {
        let i = self.rects.len() as u32;
        self.rects.push(r);
        match Self::span(r) {
            Some((x0, y0, x1, y1)) => {
                for x in x0..=x1 {
                    for y in y0..=y1 {
                        self.cells.entry((x, y)).or_default().push(i);
                    }
                }
            }
            None => self.wide.push(i),
        }
    }

    /// Indices of the boxes that may overlap `r`, ascending, into `out`.
    fn near(&self, r: Rect, out: &mut Vec<u32>) {
        out.clear();
        match Self::span(r) {
            Some((x0, y0, x1, y1)) => {
                for x in x0..=x1 {
                    for y in y0..=y1 {
                        if let Some(v) = self.cells.get(&(x, y)) {
                            out.extend_from_slice(v);
                        }
                    }
                }
                out.extend_from_slice(&self.wide);
                out.sort_unstable();
                out.dedup();
            }
            None => out.extend(0..self.rects.len() as u32),
        }
    }

    /// Whether `r` overlaps any box (open rectangles: touching is not overlapping).
    fn hits(&self, r: Rect, scratch: &mut Vec<u32>) -> bool {
        self.near(r, scratch);
        scratch.iter().any(|&i| {
            let o = self.rects[i as usize];
            r.0 < o.2 && o.0 < r.2 && r.1 < o.3 && o.1 < r.3
        })
    }

    /// The area of `r` that the boxes cover, summed box by box in the order they were
    /// added (the boxes not near `r` add exactly zero).
    fn overlap(&self, r: Rect, scratch: &mut Vec<u32>) -> f64 {
        self.near(r, scratch);
        scratch
            .iter()
            .map(|&i| {
                let o = self.rects[i as usize];
                let w = (r.2.min(o.2) - r.0.max(o.0)).max(0.0);
                let h = (r.3.min(o.3) - r.1.max(o.1)).max(0.0);
                w * h
            })
            .fold(0.0, |sum, a| sum + a)
    }
}

/// Builds the whole diagram.
pub fn build(model: &Model, cat: &Catalog, analysis: &Analysis, fonts: &Fonts) -> Scene {
    let (el_badges, fl_badges) = badges(model, analysis);
    let mut b = Builder {
        fonts,
        items: Vec::new(),
        bounds: None,
    };
    let mut badge_boxes: Vec<(f64, f64, f64, f64)> = Vec::new();
    let mut names = BTreeMap::new();

    // Boundaries, outer first so inner ones paint over their parents.
    let mut bs: Vec<(usize, &crate::model::Boundary)> = model
        .boundaries
        .values()
        .map(|x| (depth(model, &x.id), x))
        .collect();
    bs.sort_by(|a, c| a.0.cmp(&c.0).then(a.1.id.cmp(&c.1.id)));
    let mut tabs: Vec<(f64, f64, f64, f64)> = Vec::new();
    for (d, bd) in &bs {
        let (x, y, w, h) = bd.rect;
        if !(x.is_finite() && y.is_finite() && w.is_finite() && h.is_finite()) {
            continue;
        }
        let dash = Some(Stroke {
            color: style::BOUNDARY,
            width: 1.5,
            dash: Some((7.0, 4.0)),
        });
        b.rect(
            x,
            y,
            w.max(1.0),
            h.max(1.0),
            0.0,
            Some(style::boundary_tint(*d)),
            dash,
        );
        let detail = format!("  {} · trust {}", bd.kind.label(), bd.trust);
        let max_w = w.max(60.0) - 14.0;
        let name = fonts.ellipsize(&bd.name, TITLE_SIZE, true, max_w);
        let name_w = fonts.width(&name, TITLE_SIZE, true);
        let detail_w = fonts.width(&detail, TITLE_SIZE - 1.5, false);
        let show_detail = name_w + detail_w <= max_w;
        let tab_w = name_w + if show_detail { detail_w } else { 0.0 } + 14.0;
        tabs.push((x, y - TAB_H, x + tab_w, y));
        b.rect(
            x,
            y - TAB_H,
            tab_w,
            TAB_H,
            0.0,
            Some(style::BOUNDARY_TAB),
            solid(style::BOUNDARY, 1.0),
        );
        b.text(
            x + 7.0,
            y - 6.0,
            TITLE_SIZE,
            true,
            style::TEXT,
            Anchor::Start,
            name,
        );
        if show_detail {
            b.text(
                x + 7.0 + name_w,
                y - 6.0,
                TITLE_SIZE - 1.5,
                false,
                style::MUTED,
                Anchor::Start,
                detail,
            );
        }
    }

    // Flows: lines now, labels after the elements so they stay readable.
    let bends = geometry::flow_bends(model);
    // (start, control, end) of each flow's curve (control = midpoint when straight), for label placement.
    let mut labels: Vec<((P, P, P), String, Badge)> = Vec::new();
    let flow_stroke = solid(style::FLOW, 1.3);
    let mut flow_paths = Vec::new();
    for f in model.flows.values() {
        let (Some(src), Some(dst)) = (model.elements.get(&f.source), model.elements.get(&f.target))
        else {
            continue;
        };
        let ra = geometry::element_rect(cat, src);
        let rb = geometry::element_rect(cat, dst);
        let bend = bends.get(&f.id).copied().unwrap_or(0.0);
        let text = if f.name.trim().is_empty() {
            f.props
                .get("protocol")
                .map(|v| v.display())
                .unwrap_or_default()
        } else {
            f.name.clone()
        };
        let badge = fl_badges.get(&f.id).copied().unwrap_or_default();
        let (segs, tip, from, mid) = if f.source == f.target {
            // A loop over the element's top edge.
            let (x, y, w, _) = ra;
            let off = 30.0 + 14.0 * bend.abs();
            let p0 = (x + w * 0.65, y);
            let p3 = (x + w * 0.35, y);
            let c1 = (p0.0 + 10.0, y - off * 1.3);
            let c2 = (p3.0 - 10.0, y - off * 1.3);
            (
                vec![Seg::Move(p0), Seg::Cubic(c1, c2, p3)],
                p3,
                c2,
                (
                    (x + w / 2.0, y - off),
                    (x + w / 2.0, y - off),
                    (x + w / 2.0, y - off),
                ),
            )
        } else {
            let ca = (ra.0 + ra.2 / 2.0, ra.1 + ra.3 / 2.0);
            let cb = (rb.0 + rb.2 / 2.0, rb.1 + rb.3 / 2.0);
            if bend == 0.0 {
                let p0 = geometry::clip_to_rect(ra, cb);
                let p2 = geometry::clip_to_rect(rb, ca);
                (
                    vec![Seg::Move(p0), Seg::Line(p2)],
                    p2,
                    p0,
                    (p0, ((p0.0 + p2.0) / 2.0, (p0.1 + p2.1) / 2.0), p2),
                )
            } else {
                let c = geometry::bend_control(ca, cb, bend);
                let p0 = geometry::clip_to_rect(ra, c);
                let p2 = geometry::clip_to_rect(rb, c);
                let c1 = (
                    p0.0 + 2.0 / 3.0 * (c.0 - p0.0),
                    p0.1 + 2.0 / 3.0 * (c.1 - p0.1),
                );
                let c2 = (
                    p2.0 + 2.0 / 3.0 * (c.0 - p2.0),
                    p2.1 + 2.0 / 3.0 * (c.1 - p2.1),
                );
                (
                    vec![Seg::Move(p0), Seg::Cubic(c1, c2, p2)],
                    p2,
                    c,
                    (p0, c, p2),
                )
            }
        };
        if f.source != f.target {
            flow_paths.push(FlowPath {
                segs: segs.clone(),
                source: src.name.clone(),
                target: dst.name.clone(),
            });
        }
        b.path(segs, false, None, flow_stroke.clone());
        // Arrow head.
        let (dx, dy) = (tip.0 - from.0, tip.1 - from.1);
        let len = (dx * dx + dy * dy).sqrt();
        if len > 1e-6 {
            let (ux, uy) = (dx / len, dy / len);
            let (l, hw) = (10.0, 4.5);
            let base = (tip.0 - ux * l, tip.1 - uy * l);
            let p1 = (base.0 - uy * hw, base.1 + ux * hw);
            let p2 = (base.0 + uy * hw, base.1 - ux * hw);
            b.path(
                vec![Seg::Move(tip), Seg::Line(p1), Seg::Line(p2)],
                true,
                Some(style::FLOW),
                None,
            );
        }
        labels.push((mid, text, badge));
    }

    let relations = relation_lines(&mut b, model, cat);

    // Elements.
    for e in model.elements.values() {
        let (x, y, w, h) = geometry::element_rect(cat, e);
        if !(x.is_finite() && y.is_finite()) {
            continue;
        }
        let stencil = cat.stencil(&e.kind);
        let base = stencil.map(|s| s.stencil.base);
        let outline = solid(style::ELEMENT_STROKE, 1.3);
        match base {
            Some(BaseShape::Entity) => b.rect(x, y, w, h, 0.0, Some(style::ELEMENT_FILL), outline),
            Some(BaseShape::Process) => {
                b.rect(x, y, w, h, 20.0, Some(style::ELEMENT_FILL), outline)
            }
            Some(BaseShape::Store) => {
                b.rect(x, y, w, h, 0.0, Some(style::ELEMENT_FILL), None);
                let s = solid(style::ELEMENT_STROKE, 1.8);
                b.path(
                    vec![Seg::Move((x, y)), Seg::Line((x + w, y))],
                    false,
                    None,
                    s.clone(),
                );
                b.path(
                    vec![Seg::Move((x, y + h)), Seg::Line((x + w, y + h))],
                    false,
                    None,
                    s,
                );
            }
            None => b.rect(
                x,
                y,
                w,
                h,
                0.0,
                Some(style::ELEMENT_FILL),
                Some(Stroke {
                    color: style::MUTED,
                    width: 1.0,
                    dash: Some((3.0, 3.0)),
                }),
            ),
        }
        // Kind monogram.
        let icon = stencil
            .map(|s| s.stencil.icon.clone())
            .filter(|i| !i.trim().is_empty())
            .unwrap_or_else(|| "?".to_owned());
        let icon = fonts.ellipsize(&icon, 8.5, true, 40.0);
        let iw = (fonts.width(&icon, 8.5, true) + 8.0).max(18.0);
        let inset = if base == Some(BaseShape::Process) {
            14.0
        } else {
            6.0
        };
        b.rect(
            x + inset,
            y + 6.0,
            iw,
            14.0,
            3.0,
            Some(style::ICON_BG),
            None,
        );
        b.text(
            x + inset + iw / 2.0,
            y + 16.3,
            8.5,
            true,
            style::ACCENT,
            Anchor::Middle,
            icon,
        );
        // Name: up to two lines, centred below the monogram row; a long name gets a
        // smaller size and a third line before it is shortened.
        let max_w = w - 14.0;
        let (mut size, mut lines) = (
            NAME_SIZE,
            name_lines(fonts, e.name.trim(), NAME_SIZE, max_w),
        );
        if lines.len() > 2 {
            size = NAME_SIZE - 2.0;
            lines = name_lines(fonts, e.name.trim(), size, max_w);
            if lines.len() > 3 {
                let rest = lines[2..].join(" ");
                lines.truncate(2);
                lines.push(fonts.ellipsize(&rest, size, false, max_w));
            }
        }
        let lh = size * 1.15;
        let cy = y + h / 2.0 + 6.0;
        let first = cy - lh * (lines.len() as f64) / 2.0 + size * 0.85;
        for (i, l) in lines.iter().enumerate() {
            let ly = first + lh * i as f64;
            b.text(
                x + w / 2.0,
                ly,
                size,
                false,
                style::TEXT,
                Anchor::Middle,
                l.clone(),
            );
        }
        names.insert(e.id.clone(), lines);
        if let Some(bd) = el_badges.get(&e.id) {
            b.badge(x + w - 8.0, y, bd);
            if bd.total > 0 {
                let bw = fonts.width(&badge_look(bd).2, BADGE_SIZE, true) + 10.0;
                badge_boxes.push((
                    x + w - 8.0 - bw / 2.0,
                    y - 7.5,
                    x + w - 8.0 + bw / 2.0,
                    y + 7.5,
                ));
            }
        }
    }

    // Flow labels and their badges on top, slid along the flow off elements and earlier
    // labels where possible.
    // Element badges stick out of their boxes: a label must not cover one either.
    let mut obstacles = Boxes::default();
    for r in (model.elements.values())
        .map(|e| element_box(cat, e))
        .filter(|r| r.0.is_finite() && r.1.is_finite())
        .chain(tabs)
        .chain(badge_boxes.iter().copied())
    {
        obstacles.push(r);
    }
    let mut badge_boxes = Boxes::from(badge_boxes);
    let mut near = Vec::new();
    for (curve, text, badge) in labels {
        let text = fonts.ellipsize(&text, LABEL_SIZE, false, 160.0);
        if text.is_empty() && badge.total == 0 {
            continue;
        }
        let tw = fonts.width(&text, LABEL_SIZE, false);
        let bw = if badge.total > 0 {
            fonts.width(&badge_look(&badge).2, BADGE_SIZE, true) + 10.0
        } else {
            0.0
        };
        let gap = if tw > 0.0 && bw > 0.0 { 5.0 } else { 0.0 };
        let total_w = if tw > 0.0 { tw + 6.0 } else { 0.0 } + gap + bw;
        let at = |t: f64| {
            let (p0, c, p2) = curve;
            let u = 1.0 - t;
            (
                u * u * p0.0 + 2.0 * u * t * c.0 + t * t * p2.0,
                u * u * p0.1 + 2.0 * u * t * c.1 + t * t * p2.1,
            )
        };
        let boxed = |m: P| {
            (
                m.0 - total_w / 2.0 - 2.0,
                m.1 - 9.0,
                m.0 + total_w / 2.0 + 2.0,
                m.1 + 9.0,
            )
        };
        // Along the flow first, then beside it (above, then below the line).
        let (p0, _, p2) = curve;
        let (dx, dy) = (p2.0 - p0.0, p2.1 - p0.1);
        let len = (dx * dx + dy * dy).sqrt().max(1e-6);
        let side = (-dy / len * 13.0, dx / len * 13.0);
        let along = [0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78].map(at);
        let beside = [0.5, 0.35, 0.65].map(|t| {
            let m = at(t);
            [(m.0 + side.0, m.1 + side.1), (m.0 - side.0, m.1 - side.1)]
        });
        let far = [0.5, 0.3, 0.7].map(|t| {
            let m = at(t);
            [
                (m.0 + 2.0 * side.0, m.1 + 2.0 * side.1),
                (m.0 - 2.0 * side.0, m.1 - 2.0 * side.1),
            ]
        });
        let candidates: Vec<P> = along
            .into_iter()
            .chain(beside.into_iter().flatten())
            .chain(far.into_iter().flatten())
            .collect();
        // The first free place; when there is none, the one that covers the least, a
        // badge counting far more than an element or another label.
        let cost = |m: P, near: &mut Vec<u32>| {
            let r = boxed(m);
            let on_badges = badge_boxes.overlap(r, near);
            let on_rest = obstacles.overlap(r, near);
            on_badges * 1000.0 + on_rest
        };
        let mid = candidates
            .iter()
            .copied()
            .find(|&m| !obstacles.hits(boxed(m), &mut near))
            .unwrap_or_else(|| {
                // A crowded spot: search finer along the flow and further to its sides.
                let mut more = candidates.clone();
                for i in 2..=18 {
                    let m = at(i as f64 * 0.05);
                    for k in [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0] {
                        more.push((m.0 + k * side.0, m.1 + k * side.1));
                    }
                }
                // Each place's cost once, the first of the least kept (as `min_by` would).
                let mut best: Option<(f64, P)> = None;
                for m in more {
                    let c = cost(m, &mut near);
                    if best.is_none_or(|(b, _)| c.total_cmp(&b).is_lt()) {
                        best = Some((c, m));
                    }
                }
                best.map_or_else(|| at(0.5), |(_, m)| m)
            });
        obstacles.push(boxed(mid));
        let left = mid.0 - total_w / 2.0;
        if !text.is_empty() {
            b.rect(
                left,
                mid.1 - 7.5,
                tw + 6.0,
                14.0,
                3.0,
                Some(style::WHITE),
                None,
            );
            b.text(
                left + 3.0 + tw / 2.0,
                mid.1 + 3.5,
                LABEL_SIZE,
                false,
                style::FLOW,
                Anchor::Middle,
                text,
            );
        }
        if badge.total > 0 {
            b.badge(left + total_w - bw / 2.0, mid.1, &badge);
            badge_boxes.push((
                left + total_w - bw,
                mid.1 - 7.5,
                left + total_w,
                mid.1 + 7.5,
            ));
        }
    }

    let bounds = b.bounds.unwrap_or((0.0, 0.0, 100.0, 100.0));
    Scene {
        items: b.items,
        bounds,
        names,
        flow_paths,
        relations,
    }
}

/// The boundary tree of a model, for drawing parts of the diagram on their own pages.
/// Parents come from [`Model::boundary_chain`], so dangling parents and cycles cannot
/// make it loop.
pub struct Tree {
    /// Child boundaries of each boundary (`None` = top level), in id order.
    pub children: BTreeMap<Option<BoundaryId>, Vec<BoundaryId>>,
    /// Elements whose innermost (valid) boundary is the key, in id order.
    pub members: BTreeMap<Option<BoundaryId>, Vec<ElementId>>,
    /// Bounding box of each boundary with everything nested in it (title tab included).
    pub extent: BTreeMap<BoundaryId, (f64, f64, f64, f64)>,
    /// Display name and its path from the top level, e.g. `Cluster › payments`.
    pub path: BTreeMap<BoundaryId, String>,
}

fn union(a: Option<(f64, f64, f64, f64)>, b: (f64, f64, f64, f64)) -> Option<(f64, f64, f64, f64)> {
    if !(b.0.is_finite() && b.1.is_finite() && b.2.is_finite() && b.3.is_finite()) {
        return a;
    }
    Some(match a {
        None => b,
        Some(a) => (a.0.min(b.0), a.1.min(b.1), a.2.max(b.2), a.3.max(b.3)),
    })
}

impl Tree {
    /// Builds the tree.
    pub fn new(model: &Model, cat: &Catalog) -> Tree {
        let mut children: BTreeMap<Option<BoundaryId>, Vec<BoundaryId>> = BTreeMap::new();
        let mut members: BTreeMap<Option<BoundaryId>, Vec<ElementId>> = BTreeMap::new();
        let mut extent: BTreeMap<BoundaryId, (f64, f64, f64, f64)> = BTreeMap::new();
        let mut path = BTreeMap::new();
        let name = |b: &BoundaryId| {
            model
                .boundaries
                .get(b)
                .map(|x| x.name.clone())
                .unwrap_or_else(|| b.0.clone())
        };
        for bd in model.boundaries.values() {
            let chain = model.boundary_chain(Some(&bd.id));
            children
                .entry(chain.get(1).cloned())
                .or_default()
                .push(bd.id.clone());
            let (x, y, w, h) = bd.rect;
            for anc in &chain {
                if let Some(u) = union(extent.get(anc).copied(), (x, y - TAB_H, x + w, y + h)) {
                    extent.insert(anc.clone(), u);
                }
            }
            let names: Vec<String> = chain.iter().rev().map(name).collect();
            path.insert(bd.id.clone(), names.join(" › "));
        }
        for e in model.elements.values() {
            let chain = model.boundary_chain(e.boundary.as_ref());
            members
                .entry(chain.first().cloned())
                .or_default()
                .push(e.id.clone());
            let r = element_box(cat, e);
            let r = (r.0, r.1 - 10.0, r.2 + 10.0, r.3);
            for anc in &chain {
                if let Some(u) = union(extent.get(anc).copied(), r) {
                    extent.insert(anc.clone(), u);
                }
            }
        }
        Tree {
            children,
            members,
            extent,
            path,
        }
    }

    /// Bounding box of the elements directly in a boundary (not in a nested one).
    pub fn members_extent(
        &self,
        model: &Model,
        cat: &Catalog,
        b: Option<&BoundaryId>,
    ) -> Option<(f64, f64, f64, f64)> {
        let mut acc = None;
        for id in self.members.get(&b.cloned()).into_iter().flatten() {
            if let Some(e) = model.elements.get(id) {
                let r = element_box(cat, e);
                acc = union(acc, (r.0, r.1 - 10.0, r.2 + 10.0, r.3));
            }
        }
        acc
    }
}

/// The rectangle of one drawn element, for tests and tiling.
pub fn element_box(cat: &Catalog, e: &crate::model::Element) -> (f64, f64, f64, f64) {
    let (x, y, w, h) = geometry::element_rect(cat, e);
    (x, y, x + w, y + h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::{Rng, picks};
    use proptest::prelude::*;

    /// A box from the picks: mostly small boxes near each other, sometimes a wide one,
    /// one far out, or one with a coordinate that is not finite.
    fn rect(rng: &mut Rng) -> Rect {
        let x = rng.below(4000) as f64 - 500.0 + rng.below(100) as f64 / 8.0;
        let y = rng.below(3000) as f64 - 500.0;
        let (w, h) = match rng.below(20) {
            0 => (5000.0, 40.0),
            1 => (1e300, 1e300),
            2 => (f64::NAN, 20.0),
            3 => (f64::INFINITY, 10.0),
            _ => (rng.below(300) as f64 + 0.5, rng.below(80) as f64),
        };
        if rng.below(30) == 0 {
            return (-1e18, y, -1e18 + w, y + h);
        }
        (x, y, x + w, y + h)
    }

    proptest! {
        /// The grid answers what a scan over every box in order answers, to the bit.
        #[test]
        fn boxes_answer_as_a_scan_over_every_box(p in picks(600)) {
            let mut rng = Rng::new(p);
            let mut boxes = Boxes::default();
            let mut all: Vec<Rect> = Vec::new();
            let mut scratch = Vec::new();
            for _ in 0..150 {
                let r = rect(&mut rng);
                let hits = all
                    .iter()
                    .any(|o| r.0 < o.2 && o.0 < r.2 && r.1 < o.3 && o.1 < r.3);
                let area: f64 = all
                    .iter()
                    .map(|o| {
                        let w = (r.2.min(o.2) - r.0.max(o.0)).max(0.0);
                        let h = (r.3.min(o.3) - r.1.max(o.1)).max(0.0);
                        w * h
                    })
                    .fold(0.0, |s, a| s + a);
                prop_assert_eq!(boxes.hits(r, &mut scratch), hits);
                let got = boxes.overlap(r, &mut scratch);
                prop_assert!(
                    got.to_bits() == area.to_bits() || (got.is_nan() && area.is_nan()),
                    "{got} != {area} for {r:?}"
                );
                if rng.below(2) == 0 {
                    boxes.push(r);
                    all.push(r);
                }
            }
        }
    }
}
