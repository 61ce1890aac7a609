//! Draws the diagram [`Scene`] on PDF pages: one overview page scaled to fit (landscape
//! when the diagram is wider than tall), and, when the overview is too small to read,
//! a page per top-level boundary, itself split into overlapping tiles when still too
//! small. Nothing is cropped: the overview always shows the whole diagram, and every
//! element appears whole on at least one legible page.

use super::writer::{Doc, MARGIN, PSeg, Page};
use crate::model::Severity;
use crate::model::{BoundaryId, Model};
use crate::report::fonts::Fonts;
use crate::report::scene::{Anchor, Item, NAME_SIZE, Scene, Seg, Tree};
use crate::report::style::{self, Rgb};
use crate::rules::Catalog;

/// Smallest element-name size (points) accepted as legible on a page.
pub const MIN_TEXT_PT: f64 = 5.0;
/// Element-name size aimed for on tiles.
const TILE_TEXT_PT: f64 = 7.0;
/// Most tiles per region before the tile scale drops to the legibility minimum.
const MAX_TILES: usize = 36;
/// Overlap of neighbouring tiles in diagram units (wider than an element and its badge).
const TILE_OVERLAP: f64 = 190.0;
/// Space above the drawing for the page title.
const TITLE_H: f64 = 30.0;
/// Space below the drawing for the legend.
const LEGEND_H: f64 = 20.0;

/// A rectangle `(min_x, min_y, max_x, max_y)`.
type Bounds = (f64, f64, f64, f64);

/// Maps diagram coordinates into a page area.
#[derive(Clone, Copy, Debug)]
pub struct Transform {
    /// Points per diagram unit.
    pub scale: f64,
    ox: f64,
    oy: f64,
    min_x: f64,
    min_y: f64,
}

impl Transform {
    /// The largest uniform scale that fits `view` into the area, centred.
    pub fn fit(view: Bounds, area: (f64, f64, f64, f64)) -> Transform {
        let vw = (view.2 - view.0).max(1.0);
        let vh = (view.3 - view.1).max(1.0);
        let (ax, ay, aw, ah) = area;
        let scale = (aw / vw).min(ah / vh);
        Transform {
            scale,
            ox: ax + (aw - vw * scale) / 2.0,
            oy: ay + (ah - vh * scale) / 2.0,
            min_x: view.0,
            min_y: view.1,
        }
    }

    /// Where the diagram rectangle `b` lands on the page: `(x, y, w, h)` in points.
    fn page_rect(&self, b: Bounds) -> (f64, f64, f64, f64) {
        let (x0, y0) = self.p((b.0, b.1));
        let (x1, y1) = self.p((b.2, b.3));
        (x0, y0, x1 - x0, y1 - y0)
    }

    fn p(&self, p: (f64, f64)) -> (f64, f64) {
        (
            self.ox + (p.0 - self.min_x) * self.scale,
            self.oy + (p.1 - self.min_y) * self.scale,
        )
    }
}

fn intersects(a: Bounds, b: Bounds) -> bool {
    a.0 <= b.2 && b.0 <= a.2 && a.1 <= b.3 && b.1 <= a.3
}

fn item_bounds(it: &Item) -> Bounds {
    match it {
        Item::Rect { x, y, w, h, .. } => (*x, *y, x + w, y + h),
        Item::Path { segs, .. } => {
            let mut b = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
            let mut add = |p: (f64, f64)| {
                b = (b.0.min(p.0), b.1.min(p.1), b.2.max(p.0), b.3.max(p.1));
            };
            for s in segs {
                match *s {
                    Seg::Move(p) | Seg::Line(p) => add(p),
                    Seg::Cubic(a, c, d) => {
                        add(a);
                        add(c);
                        add(d);
                    }
                }
            }
            b
        }
        Item::Text {
            x,
            y,
            size,
            anchor,
            width,
            ..
        } => {
            let x0 = if *anchor == Anchor::Middle {
                x - width / 2.0
            } else {
                *x
            };
            (x0, y - size, x0 + width, y + size * 0.3)
        }
    }
}

/// Draws the part of the scene inside `view` into `area` (points, y from the top).
pub fn draw_scene(
    page: &mut Page,
    fonts: &Fonts,
    scene: &Scene,
    view: Bounds,
    area: (f64, f64, f64, f64),
    clip: bool,
) -> Transform {
    let t = Transform::fit(view, area);
    if clip {
        // Exactly the view: items beyond it are culled below, so a line running on into
        // the rest of the area would end at an element that is not drawn.
        let r = t.page_rect(view);
        page.clip(r.0, r.1, r.2, r.3);
    }
    let s = t.scale;
    for it in &scene.items {
        if clip && !intersects(item_bounds(it), view) {
            continue;
        }
        match it {
            Item::Rect {
                x,
                y,
                w,
                h,
                radius,
                fill,
                stroke,
            } => {
                let (px, py) = t.p((*x, *y));
                let segs = super::writer::rect_segs(px, py, w * s, h * s, radius * s);
                let st = stroke.as_ref().map(|k| (k.color, (k.width * s).max(0.3)));
                let dash = stroke
                    .as_ref()
                    .and_then(|k| k.dash)
                    .map(|(a, b)| (a * s, b * s));
                page.path(&segs, true, *fill, st, dash);
            }
            Item::Path {
                segs,
                closed,
                fill,
                stroke,
            } => {
                let ps: Vec<PSeg> = segs
                    .iter()
                    .map(|sg| match *sg {
                        Seg::Move(p) => {
                            let q = t.p(p);
                            PSeg::Move(q.0, q.1)
                        }
                        Seg::Line(p) => {
                            let q = t.p(p);
                            PSeg::Line(q.0, q.1)
                        }
                        Seg::Cubic(a, b, c) => PSeg::Cubic(t.p(a), t.p(b), t.p(c)),
                    })
                    .collect();
                let st = stroke.as_ref().map(|k| (k.color, (k.width * s).max(0.3)));
                let dash = stroke
                    .as_ref()
                    .and_then(|k| k.dash)
                    .map(|(a, b)| (a * s, b * s));
                page.path(&ps, *closed, *fill, st, dash);
            }
            Item::Text {
                x,
                y,
                size,
                bold,
                color,
                anchor,
                text,
                width,
            } => {
                let x0 = if *anchor == Anchor::Middle {
                    x - width / 2.0
                } else {
                    *x
                };
                let (px, py) = t.p((x0, *y));
                page.text(fonts, px, py, size * s, *bold, *color, text);
            }
        }
    }
    if clip {
        page.restore();
    }
    t
}

fn area_of(size: (f64, f64)) -> (f64, f64, f64, f64) {
    let (w, h) = size;
    (
        MARGIN,
        MARGIN + TITLE_H,
        w - 2.0 * MARGIN,
        h - 2.0 * MARGIN - TITLE_H - LEGEND_H - super::writer::FOOTER,
    )
}

fn legend(page: &mut Page, fonts: &Fonts, y: f64, model_has_relations: bool) {
    let mut x = MARGIN;
    let size = 7.5;
    page.text(
        fonts,
        x,
        y,
        size,
        true,
        style::MUTED,
        "Badges: open threats, coloured by the highest severity",
    );
    x += fonts.width(
        "Badges: open threats, coloured by the highest severity",
        size,
        true,
    ) + 10.0;
    let chip = |page: &mut Page, x: &mut f64, label: &str, fill: Rgb, fg: Rgb| {
        let w = fonts.width(label, size, true) + 10.0;
        page.fill_rect(*x, y - 8.0, w, 11.0, 5.5, fill);
        page.text(fonts, *x + 5.0, y, size, true, fg, label);
        *x += w + 6.0;
    };
    for s in Severity::ALL.iter().rev() {
        let label = format!(
            "{} {}",
            style::severity_letter(*s),
            s.label().to_lowercase()
        );
        chip(
            page,
            &mut x,
            &label,
            style::severity_color(*s),
            style::severity_text(*s),
        );
    }
    chip(page, &mut x, "✓ all triaged", style::TRIAGED, style::WHITE);
    let rest = if model_has_relations {
        "Dashed: trust boundary · dotted: relation (named in the model facts) · rectangle: external entity · rounded: process · two lines: data store"
    } else {
        "Dashed: trust boundary · rectangle: external entity · rounded: process · two lines: data store"
    };
    page.text(fonts, MARGIN, y + 12.0, size, false, style::MUTED, rest);
}

/// One planned diagram page.
#[derive(Clone, Debug, PartialEq)]
pub struct PageView {
    /// Page heading.
    pub title: String,
    /// A line under the heading (where the part sits, or how the overview is scaled).
    pub note: String,
    /// Outline entry, for the first page of a part.
    pub bookmark: Option<String>,
    /// The part of the diagram shown.
    pub view: Bounds,
    /// Page size (points), portrait or landscape.
    pub size: (f64, f64),
    /// Clip to the view (every page but the overview).
    pub clip: bool,
    /// Points per diagram unit.
    pub scale: f64,
}

fn oriented(portrait: (f64, f64), view: Bounds) -> (f64, f64) {
    let (w, h) = portrait;
    if (view.2 - view.0) > (view.3 - view.1) {
        (w.max(h), w.min(h))
    } else {
        (w.min(h), w.max(h))
    }
}

fn legible(scale: f64) -> bool {
    NAME_SIZE * scale >= MIN_TEXT_PT
}

struct Planner<'a> {
    portrait: (f64, f64),
    model: &'a Model,
    cat: &'a Catalog,
    tree: Tree,
    /// Every element's box, for tiling.
    boxes: Vec<Bounds>,
    pages: Vec<PageView>,
}

impl Planner<'_> {
    fn page(&self, title: String, bookmark: Option<String>, view: Bounds, clip: bool) -> PageView {
        let size = oriented(self.portrait, view);
        let scale = Transform::fit(view, area_of(size)).scale;
        PageView {
            title,
            note: String::new(),
            bookmark,
            view,
            size,
            clip,
            scale,
        }
    }

    /// One page for `rect` when it is legible, else overlapping tiles.
    fn part(&mut self, prefix: &str, name: &str, note: &str, rect: Bounds) {
        let rect = pad(rect, 24.0);
        let mut p = self.page(
            format!("{prefix} · {name}"),
            Some(name.to_owned()),
            rect,
            true,
        );
        p.note = note.to_owned();
        if legible(p.scale) {
            self.pages.push(p);
            return;
        }
        let size = oriented(self.portrait, rect);
        let all = tiles(rect, area_of(size), &self.boxes);
        let n = all.len();
        for (i, view) in all.iter().enumerate() {
            let title = format!("{prefix} · {name} · part {} of {n}", i + 1);
            let bookmark = (i == 0).then(|| name.to_owned());
            let mut p = self.page(title, bookmark, *view, true);
            p.note = format!(
                "{note} (tiles overlap, so that every element is shown whole on one of them)"
            );
            p.size = size;
            p.scale = Transform::fit(*view, area_of(size)).scale;
            self.pages.push(p);
        }
    }

    /// Pages for the boundaries nested directly in `at` (top level for `None`), going
    /// deeper where a boundary is too large to read on one page.
    fn visit(&mut self, prefix: &str, at: Option<&BoundaryId>, depth: usize) {
        let kids = self
            .tree
            .children
            .get(&at.cloned())
            .cloned()
            .unwrap_or_default();
        for b in &kids {
            let Some(rect) = self.tree.extent.get(b).copied() else {
                continue;
            };
            let name = self
                .model
                .boundaries
                .get(b)
                .map(|x| x.name.clone())
                .unwrap_or_else(|| b.0.clone());
            let path = self
                .tree
                .path
                .get(b)
                .cloned()
                .unwrap_or_else(|| name.clone());
            let kind = self
                .model
                .boundaries
                .get(b)
                .map(|x| x.kind.label())
                .unwrap_or("");
            let note = format!("Trust boundary {path} ({kind})");
            let whole = self.page(String::new(), None, pad(rect, 24.0), true);
            let has_kids = self
                .tree
                .children
                .get(&Some(b.clone()))
                .is_some_and(|k| !k.is_empty());
            if legible(whole.scale) || !has_kids || depth > 32 {
                self.part(prefix, &name, &note, rect);
                continue;
            }
            self.visit(prefix, Some(b), depth + 1);
            if let Some(r) = self.tree.members_extent(self.model, self.cat, Some(b)) {
                let note =
                    format!("{note}: the elements that are not in one of its nested boundaries");
                self.part(prefix, &format!("{name}, other elements"), &note, r);
            }
        }
        if at.is_none()
            && let Some(r) = self.tree.members_extent(self.model, self.cat, None)
        {
            self.part(
                prefix,
                "Outside every boundary",
                "Elements in no trust boundary",
                r,
            );
        }
    }

    /// Elements not shown whole on any legible page (possible only with corrupt
    /// nesting): give them pages of their own.
    fn cover_leftovers(&mut self, prefix: &str) {
        let mut left: Option<Bounds> = None;
        for e in self.model.elements.values() {
            let r = crate::report::scene::element_box(self.cat, e);
            if !(r.0.is_finite() && r.1.is_finite()) {
                continue;
            }
            let shown = self.pages.iter().any(|p| {
                legible(p.scale)
                    && p.view.0 <= r.0
                    && p.view.1 <= r.1
                    && r.2 <= p.view.2
                    && r.3 <= p.view.3
            });
            if !shown {
                left = Some(match left {
                    None => r,
                    Some(a) => (a.0.min(r.0), a.1.min(r.1), a.2.max(r.2), a.3.max(r.3)),
                });
            }
        }
        if let Some(r) = left {
            self.part(
                prefix,
                "Other elements",
                "Elements not shown on the pages above",
                r,
            );
        }
    }
}

/// Plans the diagram pages: the overview, then, when it is too small to read, a page per
/// top-level boundary (descending into nested boundaries, then tiles, where one page is
/// still too small), so that every element is shown whole on some legible page.
pub fn plan(
    portrait: (f64, f64),
    scene: &Scene,
    model: &Model,
    cat: &Catalog,
    prefix: &str,
) -> Vec<PageView> {
    let boxes = model
        .elements
        .values()
        .map(|e| crate::report::scene::element_box(cat, e))
        .filter(|b| b.0.is_finite() && b.1.is_finite() && b.2.is_finite() && b.3.is_finite())
        .collect();
    let mut p = Planner {
        portrait,
        model,
        cat,
        tree: Tree::new(model, cat),
        boxes,
        pages: Vec::new(),
    };
    let full = pad(scene.bounds, 12.0);
    let overview = p.page(
        format!("{prefix} · overview"),
        Some(prefix.to_owned()),
        full,
        false,
    );
    let ok = legible(overview.scale);
    p.pages.push(overview);
    if !ok {
        p.visit(prefix, None, 0);
        p.cover_leftovers(prefix);
        let parts = p.pages.len() - 1;
        if let Some(o) = p.pages.first_mut() {
            o.note = format!(
                "The whole diagram, drawn at {:.0}% to fit one page; the {parts} pages that follow show its parts at a readable size.",
                o.scale * 100.0
            );
        }
    }
    p.pages
}

/// Adds the diagram pages (see [`plan`]). Returns how many pages were added.
pub fn add_pages(
    doc: &mut Doc<'_>,
    scene: &Scene,
    model: &Model,
    cat: &Catalog,
    prefix: &str,
) -> usize {
    let fonts = doc.fonts;
    let pages = plan(doc.size, scene, model, cat, prefix);
    for pv in &pages {
        doc.new_page_sized(Some(pv.size));
        if let Some(b) = &pv.bookmark {
            doc.bookmark(b);
        }
        draw_view(doc, fonts, scene, pv.view, &pv.title, pv.clip);
        let note = fonts.ellipsize(&pv.note, 7.5, false, pv.size.0 - 2.0 * MARGIN);
        doc.page.text(
            fonts,
            MARGIN,
            MARGIN + TITLE_H - 4.0,
            7.5,
            false,
            style::MUTED,
            &note,
        );
    }
    pages.len()
}

fn pad(b: Bounds, p: f64) -> Bounds {
    (b.0 - p, b.1 - p, b.2 + p, b.3 + p)
}

fn draw_view(
    doc: &mut Doc<'_>,
    fonts: &Fonts,
    scene: &Scene,
    view: Bounds,
    heading: &str,
    clip: bool,
) -> f64 {
    let size = (doc.page.w, doc.page.h);
    let heading = fonts.ellipsize(heading, 12.0, true, size.0 - 2.0 * MARGIN);
    doc.page.text(
        fonts,
        MARGIN,
        MARGIN + 12.0,
        12.0,
        true,
        style::ACCENT,
        &heading,
    );
    let area = area_of(size);
    let t = draw_scene(&mut doc.page, fonts, scene, view, area, clip);
    if clip {
        cut_flow_labels(&mut doc.page, fonts, scene, &t, t.page_rect(view));
    }
    legend(
        &mut doc.page,
        fonts,
        area.1 + area.3 + 12.0,
        scene.relations > 0,
    );
    t.scale
}

/// Font size of the labels on flows cut by a page's edge.
const CUT_LABEL_SIZE: f64 = 6.0;

/// On a page that shows part of the diagram in `area` (where its view lands), labels
/// each flow cut by the area's edge where it leaves ("to …", naming its target) or enters ("from …", naming its source),
/// so a reader can follow it to the element drawn elsewhere. Flows that only pass
/// through the page, or lie wholly inside or outside it, get no label.
fn cut_flow_labels(
    page: &mut Page,
    fonts: &Fonts,
    scene: &Scene,
    t: &Transform,
    area: (f64, f64, f64, f64),
) {
    let (ax, ay, aw, ah) = area;
    let inside = |p: (f64, f64)| p.0 >= ax && p.0 <= ax + aw && p.1 >= ay && p.1 <= ay + ah;
    let size = CUT_LABEL_SIZE;
    let mut placed: Vec<Bounds> = Vec::new();
    let mut shown: Vec<(String, (f64, f64))> = Vec::new();
    for f in &scene.flow_paths {
        let pts: Vec<(f64, f64)> = polyline(&f.segs).into_iter().map(|p| t.p(p)).collect();
        let (Some(&first), Some(&last)) = (pts.first(), pts.last()) else {
            continue;
        };
        let (text, cut) = match (inside(first), inside(last)) {
            (true, false) => match pts.iter().position(|p| !inside(*p)) {
                Some(k) if k > 0 => (
                    format!("to {}", f.target),
                    edge_point(pts[k - 1], pts[k], inside),
                ),
                _ => continue,
            },
            (false, true) => match pts.iter().rposition(|p| !inside(*p)) {
                Some(k) if k + 1 < pts.len() => (
                    format!("from {}", f.source),
                    edge_point(pts[k + 1], pts[k], inside),
                ),
                _ => continue,
            },
            _ => continue,
        };
        // The same label where another already is (parallel flows to one element).
        if shown
            .iter()
            .any(|(s, p)| *s == text && (p.0 - cut.0).abs() < 40.0 && (p.1 - cut.1).abs() < 40.0)
        {
            continue;
        }
        let text = fonts.ellipsize(&text, size, false, 140.0);
        let w = fonts.width(&text, size, false);
        // Just inside the edge the flow crosses.
        let (dl, dr, dt, db) = (cut.0 - ax, ax + aw - cut.0, cut.1 - ay, ay + ah - cut.1);
        let nearest = dl.min(dr).min(dt).min(db);
        let (mut x, mut y) = if nearest == dl {
            (ax + 2.0, cut.1 + size * 0.35)
        } else if nearest == dr {
            (ax + aw - w - 2.0, cut.1 + size * 0.35)
        } else if nearest == dt {
            (cut.0 - w / 2.0, ay + size + 2.0)
        } else {
            (cut.0 - w / 2.0, ay + ah - 3.0)
        };
        x = x.clamp(ax + 2.0, (ax + aw - w - 2.0).max(ax + 2.0));
        let step = if nearest == db {
            -(size + 2.0)
        } else {
            size + 2.0
        };
        for _ in 0..12 {
            let r = (x - 1.0, y - size, x + w + 1.0, y + 2.0);
            if !placed.iter().any(|p| intersects(*p, r)) {
                break;
            }
            y += step;
        }
        y = y.clamp(ay + size + 1.0, ay + ah - 2.0);
        placed.push((x - 1.0, y - size, x + w + 1.0, y + 2.0));
        shown.push((text.clone(), cut));
        page.fill_rect(x - 1.0, y - size, w + 2.0, size + 2.5, 1.0, style::WHITE);
        page.text(fonts, x, y, size, false, style::FLOW, &text);
    }
}

/// Points along a path (curves sampled), in diagram units.
fn polyline(segs: &[Seg]) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    for s in segs {
        match *s {
            Seg::Move(p) | Seg::Line(p) => out.push(p),
            Seg::Cubic(c1, c2, p) => {
                let Some(&p0) = out.last() else {
                    out.push(p);
                    continue;
                };
                for i in 1..=24 {
                    let u = f64::from(i) / 24.0;
                    let v = 1.0 - u;
                    let (a, b, c, d) = (v * v * v, 3.0 * v * v * u, 3.0 * v * u * u, u * u * u);
                    out.push((
                        a * p0.0 + b * c1.0 + c * c2.0 + d * p.0,
                        a * p0.1 + b * c1.1 + c * c2.1 + d * p.1,
                    ));
                }
            }
        }
    }
    out
}

/// The point between `a` (inside) and `b` (outside) where the segment leaves the page.
fn edge_point(a: (f64, f64), b: (f64, f64), inside: impl Fn((f64, f64)) -> bool) -> (f64, f64) {
    let (mut lo, mut hi) = (a, b);
    for _ in 0..30 {
        let mid = ((lo.0 + hi.0) / 2.0, (lo.1 + hi.1) / 2.0);
        if inside(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Most grid cells examined before tiling switches to one tile per uncovered element.
const MAX_GRID: usize = 4096;

/// Overlapping views covering the elements (`boxes`) inside `rect`, each legible in
/// `area`. A grid whose cells hold no element is skipped, and an absurdly sparse region
/// (huge coordinates) is tiled element by element instead, so the page count stays
/// bounded by the number of elements.
pub fn tiles(rect: Bounds, area: (f64, f64, f64, f64), boxes: &[Bounds]) -> Vec<Bounds> {
    let (w, h) = (rect.2 - rect.0, rect.3 - rect.1);
    let count = |span: f64, t: f64| -> usize {
        if span <= t {
            1
        } else {
            let n = ((span - TILE_OVERLAP) / (t - TILE_OVERLAP).max(1.0)).ceil();
            if n.is_finite() && n < 1e9 {
                n.max(1.0) as usize
            } else {
                usize::MAX
            }
        }
    };
    let grid = |scale: f64| {
        let (tw, th) = (area.2 / scale, area.3 / scale);
        (tw, th, count(w, tw), count(h, th))
    };
    let mut g = grid(TILE_TEXT_PT / NAME_SIZE);
    if g.2.saturating_mul(g.3) > MAX_TILES {
        g = grid(MIN_TEXT_PT / NAME_SIZE);
    }
    let (tw, th, nx, ny) = g;
    let inside: Vec<Bounds> = boxes
        .iter()
        .copied()
        .filter(|b| intersects(*b, rect))
        .collect();
    if nx.saturating_mul(ny) > MAX_GRID {
        // One tile per element not yet shown whole, in reading order.
        let mut sorted = inside.clone();
        sorted.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.total_cmp(&b.0)));
        let mut out: Vec<Bounds> = Vec::new();
        for b in sorted {
            let shown = out
                .iter()
                .any(|v| v.0 <= b.0 && v.1 <= b.1 && b.2 <= v.2 && b.3 <= v.3);
            if !shown {
                let (x, y) = (b.0 - TILE_OVERLAP / 2.0, b.1 - TILE_OVERLAP / 2.0);
                out.push((x, y, x + tw, y + th));
            }
        }
        return out;
    }
    let pos = |n: usize, i: usize, lo: f64, span: f64, t: f64| {
        if n <= 1 {
            lo + (span - t) / 2.0
        } else {
            lo + (span - t) * i as f64 / (n - 1) as f64
        }
    };
    let mut out = Vec::new();
    for j in 0..ny {
        for i in 0..nx {
            let x = pos(nx, i, rect.0, w, tw);
            let y = pos(ny, j, rect.1, h, th);
            let view = (x, y, x + tw, y + th);
            if inside.iter().any(|b| intersects(*b, view)) {
                out.push(view);
            }
        }
    }
    out
}
