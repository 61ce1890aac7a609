//! Painting the diagram: grid, boundaries, flows, elements, badges and gesture ghosts.
//! Everything is laid out in diagram space and mapped through `screen_from_diagram`;
//! text is laid out at the zoomed size so it stays sharp.

use super::layout::{BoundaryBox, ElementBox, FlowCurve, TAB_HEIGHT};
use crate::gui::theme::{self, Palette};
use crate::model::{Boundary, Element, Severity};
use crate::rules::BaseShape;
use eframe::egui::{
    Align2, Color32, CornerRadius, FontId, Mesh, Painter, Pos2, Rect, Shape, Stroke, StrokeKind,
    Vec2,
    emath::TSTransform,
    epaint::{
        PathStroke, QuadraticBezierShape,
        tessellator::{Path, Tessellator},
    },
    layers::ShapeIdx,
    text::LayoutJob,
};
use std::sync::Arc;

/// Below this zoom, flow labels are hidden.
pub const FLOW_LABEL_MIN_ZOOM: f32 = 0.5;
/// Below this zoom, element names are hidden (shapes and badges stay).
pub const NAME_MIN_ZOOM: f32 = 0.3;
/// Below this zoom the diagram is an overview (elements at most 28 × 14 points, no text
/// on them): elements and flows are painted in bulk as a few meshes, the same shapes and
/// colours with fewer vertices, so a whole large model stays cheap to draw.
pub const OVERVIEW_MAX_ZOOM: f32 = 0.2;
/// Below this zoom (a whole model of thousands of elements fitted into the window, each
/// a few points wide) the overview is coarser still: elements are plain rectangles,
/// flows straight lines without arrowheads, severity dots small diamonds, and the
/// canvas keeps the bulk meshes while nothing they show changes (`canvas::far`).
pub const FAR_MAX_ZOOM: f32 = 0.05;
/// Text is drawn at least this large (in screen points) while its zoomed size is within
/// reach, so names stay legible at the zoom a whole diagram fits in.
pub const MIN_TEXT_PX: f32 = 9.5;

/// What every drawing call needs.
pub struct Draw<'a> {
    /// Painter clipped to the canvas.
    pub painter: &'a Painter,
    /// Diagram to screen.
    pub screen_from_diagram: TSTransform,
    /// Colours.
    pub pal: Palette,
    /// Memory for the meshes painted in bulk.
    pub meshes: MeshPool,
}

/// Meshes handed to the painter in one frame and kept (shared) to be refilled in the
/// next, so bulk painting does not allocate and fault in fresh memory every frame. A
/// mesh still held elsewhere (the frame's shapes not yet dropped) is not reused.
#[derive(Debug, Default)]
pub struct MeshPool {
    free: std::cell::RefCell<Vec<Arc<Mesh>>>,
    used: std::cell::RefCell<Vec<Arc<Mesh>>>,
}

impl MeshPool {
    /// A pool holding the meshes used last frame.
    pub fn new(last_frame: Vec<Arc<Mesh>>) -> MeshPool {
        MeshPool {
            free: std::cell::RefCell::new(last_frame),
            used: std::cell::RefCell::default(),
        }
    }

    /// The meshes painted this frame, to pass to the next.
    pub fn into_used(self) -> Vec<Arc<Mesh>> {
        self.used.into_inner()
    }

    /// An empty mesh, with the memory of an unused one from last frame when there is one.
    fn take(&self) -> Mesh {
        let mut free = self.free.borrow_mut();
        while let Some(mut m) = free.pop() {
            if let Some(mesh) = Arc::get_mut(&mut m) {
                let mut mesh = std::mem::take(mesh);
                mesh.clear();
                return mesh;
            }
        }
        Mesh::default()
    }

    /// Shares a filled mesh with the painter and keeps it for the next frame.
    fn give(&self, mesh: Mesh) -> Arc<Mesh> {
        let m = Arc::new(mesh);
        self.used.borrow_mut().push(m.clone());
        m
    }
}

/// How an item is emphasised.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Emphasis {
    /// Selected on the canvas.
    pub selected: bool,
    /// Under the pointer.
    pub hovered: bool,
    /// The subject of a selected threat.
    pub highlighted: bool,
    /// Off the attack path shown in the Paths tab: drawn faint.
    pub dimmed: bool,
}

/// Open threats on one subject: how many, and the worst severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Badge {
    /// Open (untriaged) threats.
    pub open: usize,
    /// Highest severity among them.
    pub worst: Severity,
}

impl Draw<'_> {
    fn zoom(&self) -> f32 {
        self.screen_from_diagram.scaling
    }

    fn s(&self, p: Pos2) -> Pos2 {
        self.screen_from_diagram * p
    }

    fn r(&self, r: Rect) -> Rect {
        self.screen_from_diagram * r
    }

    /// The screen size of text that is `size` diagram units tall: scaled with the zoom,
    /// but not below [`MIN_TEXT_PX`] unless that would be far larger than the shapes.
    fn px(&self, size: f32) -> f32 {
        let scaled = size * self.zoom();
        if scaled >= MIN_TEXT_PX {
            scaled
        } else {
            MIN_TEXT_PX.min(scaled * 1.7)
        }
    }

    fn font(&self, size_in_diagram: f32) -> FontId {
        FontId::proportional(self.px(size_in_diagram))
    }

    fn galley(
        &self,
        text: String,
        size: f32,
        color: Color32,
        max_width: f32,
        max_rows: usize,
    ) -> Arc<eframe::egui::Galley> {
        let mut job = LayoutJob::simple(text, self.font(size), color, max_width.max(1.0));
        job.wrap.max_rows = max_rows;
        job.wrap.break_anywhere = max_rows == 1;
        job.wrap.overflow_character = Some('…');
        self.painter.layout_job(job)
    }

    /// A name laid out in at most `max_rows` rows broken only between words ("payment
    /// service-api", never "payment s-api"); a word too wide for the box, or a last row
    /// that does not fit, ends in "…".
    fn word_rows(
        &self,
        text: &str,
        size: f32,
        color: Color32,
        max_width: f32,
        max_rows: usize,
    ) -> Vec<Arc<eframe::egui::Galley>> {
        let font = self.font(size);
        let width = |s: &str| {
            self.painter
                .layout_no_wrap(s.to_owned(), font.clone(), color)
                .size()
                .x
        };
        split_rows(text, max_rows, |s| width(s) <= max_width)
            .into_iter()
            .map(|line| {
                let mut job = LayoutJob::simple(line, font.clone(), color, max_width.max(1.0));
                job.wrap.max_rows = 1;
                job.wrap.break_anywhere = true;
                job.wrap.overflow_character = Some('…');
                self.painter.layout_job(job)
            })
            .collect()
    }

    /// A light grid every `step` diagram units, thinned out when zoomed far out.
    pub fn grid(&self, visible: Rect, step: f32) {
        let mut step = step;
        while step * self.zoom() < 12.0 {
            step *= 5.0;
        }
        let stroke = Stroke::new(1.0, self.pal.grid);
        let x0 = (visible.left() / step).floor() as i64;
        let x1 = (visible.right() / step).ceil() as i64;
        let y0 = (visible.top() / step).floor() as i64;
        let y1 = (visible.bottom() / step).ceil() as i64;
        if (x1 - x0) > 400 || (y1 - y0) > 400 {
            return;
        }
        let clip = self.painter.clip_rect();
        for i in x0..=x1 {
            let x = self.s(Pos2::new(i as f32 * step, 0.0)).x;
            self.painter.line_segment(
                [Pos2::new(x, clip.top()), Pos2::new(x, clip.bottom())],
                stroke,
            );
        }
        for j in y0..=y1 {
            let y = self.s(Pos2::new(0.0, j as f32 * step)).y;
            self.painter.line_segment(
                [Pos2::new(clip.left(), y), Pos2::new(clip.right(), y)],
                stroke,
            );
        }
    }

    /// Trust boundaries' bodies (tinted fill, dashed outline in the warning colour), in
    /// order, as one mesh: the very triangles egui would make of each fill and dash, so
    /// the picture is the same, without a shape per dash. Returns the mesh painted.
    pub fn boundaries<'b>(
        &self,
        items: impl Iterator<Item = (&'b BoundaryBox, Emphasis)>,
    ) -> Option<Arc<Mesh>> {
        let ctx = self.painter.ctx();
        let mut tess = Tessellator::new(
            ctx.pixels_per_point(),
            ctx.tessellation_options(|o| *o),
            [1, 1],
            Vec::new(),
        );
        tess.set_clip_rect(self.painter.clip_rect());
        let mut mesh = self.meshes.take();
        let mut shapes = Vec::new();
        for (bb, em) in items {
            shapes.clear();
            self.boundary_shapes(bb, em, &mut shapes);
            for s in shapes.drain(..) {
                tess.tessellate_shape(s, &mut mesh);
            }
        }
        if mesh.is_empty() {
            return None;
        }
        let mesh = self.meshes.give(mesh);
        self.painter.add(Shape::Mesh(mesh.clone()));
        Some(mesh)
    }

    /// The shapes of one boundary's body.
    fn boundary_shapes(&self, bb: &BoundaryBox, em: Emphasis, out: &mut Vec<Shape>) {
        let rect = self.r(bb.rect);
        out.push(Shape::rect_filled(
            rect,
            CornerRadius::ZERO,
            self.pal.boundary_tint(bb.depth),
        ));
        let colour = if em.selected || em.highlighted {
            self.pal.selection
        } else {
            self.pal.boundary
        };
        let width = if em.selected || em.highlighted {
            2.5
        } else if em.hovered {
            2.0
        } else {
            1.6
        };
        let pts = [
            rect.left_top(),
            rect.right_top(),
            rect.right_bottom(),
            rect.left_bottom(),
            rect.left_top(),
        ];
        let dash = (8.0 * self.zoom()).clamp(4.0, 14.0);
        Shape::dashed_line_many(&pts, Stroke::new(width, colour), dash, dash * 0.6, out);
    }

    /// A boundary's title tab with its name and kind, drawn after the flows so lines
    /// never cross out a title. Returns the tab's screen rectangle.
    pub fn boundary_tab(&self, bb: &BoundaryBox, b: &Boundary, em: Emphasis) -> Rect {
        let rect = self.r(bb.rect);
        let colour = if em.selected || em.highlighted {
            self.pal.selection
        } else {
            self.pal.boundary
        };
        let title_px = (11.5 * self.zoom()).max(MIN_TEXT_PX);
        let tab_h = (TAB_HEIGHT * self.zoom()).max(title_px + 6.0);
        let title = if b.name.trim().eq_ignore_ascii_case(b.kind.label()) {
            b.name.clone()
        } else {
            format!("{}  ·  {}", b.name, b.kind.label())
        };
        // Boundary titles are the landmarks of an overview, so they stay legible at
        // every zoom (clipped to the boundary's width).
        let show_text = true;
        let galley = show_text.then(|| {
            let mut job = LayoutJob::simple(
                title,
                FontId::proportional(title_px),
                self.pal.boundary_text,
                (rect.width() - 14.0).max(20.0),
            );
            job.wrap.max_rows = 1;
            job.wrap.break_anywhere = true;
            job.wrap.overflow_character = Some('…');
            self.painter.layout_job(job)
        });
        let tab_w = galley
            .as_ref()
            .map_or(60.0 * self.zoom(), |g| g.size().x + 14.0);
        let tab = Rect::from_min_size(
            rect.left_top() - Vec2::new(0.0, tab_h),
            Vec2::new(tab_w.min(rect.width().max(tab_w.min(40.0))), tab_h),
        );
        let r = (4.0 * self.zoom()).min(6.0) as u8;
        self.painter.rect_filled(
            tab,
            CornerRadius {
                nw: r,
                ne: r,
                sw: 0,
                se: 0,
            },
            colour,
        );
        if let Some(g) = galley {
            let pos = Pos2::new(tab.left() + 7.0, tab.center().y - g.size().y / 2.0);
            self.painter.galley(pos, g, self.pal.boundary_text);
        }
        tab
    }

    /// Resize handles on the corners of a selected boundary.
    pub fn handles(&self, rect_in_diagram: Rect) {
        let rect = self.r(rect_in_diagram);
        for c in [
            rect.left_top(),
            rect.right_top(),
            rect.left_bottom(),
            rect.right_bottom(),
        ] {
            let h = Rect::from_center_size(c, Vec2::splat(9.0));
            self.painter
                .rect_filled(h, CornerRadius::same(1), self.pal.canvas);
            self.painter.rect_stroke(
                h,
                CornerRadius::same(1),
                Stroke::new(1.5, self.pal.selection),
                StrokeKind::Middle,
            );
        }
    }

    /// Flow lines (with their index in the layout). In the overview, plain ones are
    /// painted as one mesh and emphasised ones on top of it; otherwise each is painted by
    /// [`Self::flow_line`]. Below [`FAR_MAX_ZOOM`] the mesh has straight lines without
    /// arrowheads. Returns the mesh and the flows painted on their own.
    pub fn flow_lines<'c>(
        &self,
        flows: impl Iterator<Item = (usize, &'c FlowCurve, Emphasis)>,
    ) -> Bulk {
        let mut bulk = Bulk::default();
        if self.zoom() >= OVERVIEW_MAX_ZOOM {
            for (i, fc, em) in flows {
                self.flow_line(fc, em);
                bulk.singles.push(i);
            }
            return bulk;
        }
        let far = self.zoom() < FAR_MAX_ZOOM;
        let mut batch = Batch::new(self.painter, &self.meshes, !far);
        let mut emphasised = Vec::new();
        for (i, fc, em) in flows {
            if em.selected || em.hovered || em.highlighted {
                emphasised.push((i, fc, em));
                continue;
            }
            if far {
                let stroke = Stroke::new(1.0, self.flow_colour(em));
                batch.polyline(&[self.s(fc.points[0]), self.s(fc.points[2])], stroke);
                continue;
            }
            let (stroke, curve, head) = self.flow_geometry(fc, em);
            batch.curve(curve, stroke);
            batch.convex(&head, stroke.color);
        }
        bulk.mesh = batch.finish(self.painter, &self.meshes);
        for (i, fc, em) in emphasised {
            self.flow_line(fc, em);
            bulk.singles.push(i);
        }
        bulk
    }

    /// A flow's colour for its emphasis.
    fn flow_colour(&self, em: Emphasis) -> Color32 {
        if em.selected || em.highlighted {
            self.pal.selection
        } else if em.hovered {
            self.pal.hover
        } else if em.dimmed {
            self.pal.flow.gamma_multiply(0.2)
        } else {
            self.pal.flow
        }
    }

    /// A flow's stroke, its line in screen space (a quadratic curve, or a straight
    /// segment when its control point is degenerate) and its arrowhead triangle.
    fn flow_geometry(&self, curve: &FlowCurve, em: Emphasis) -> (Stroke, FlowPath, [Pos2; 3]) {
        let z = self.zoom();
        let colour = self.flow_colour(em);
        let width = (1.4 * z.sqrt()).clamp(1.0, 2.5)
            + if em.selected || em.highlighted {
                1.2
            } else {
                0.0
            };
        let [a, c, b] = curve.points.map(|p| self.s(p));
        let dir = curve.end_direction();
        let head = (10.0 * z).clamp(5.0, 16.0);
        // Stop the line at the arrowhead's base so it does not poke through the tip.
        let b_line = b - dir * head * 0.8;
        let path = if curve.points[0] == curve.points[1] || (c - a).length() < 1.0 {
            FlowPath::Straight([a, b_line])
        } else {
            FlowPath::Curve([a, c, b_line])
        };
        let normal = Vec2::new(-dir.y, dir.x);
        let base = b - dir * head;
        let tri = [b, base + normal * head * 0.45, base - normal * head * 0.45];
        (Stroke::new(width, colour), path, tri)
    }

    /// Covers an element drawn before with the canvas colour, mostly opaque: how items
    /// off the attack path shown in the Paths tab fade.
    pub fn veil(&self, rect_in_diagram: Rect) {
        let rect = self.r(rect_in_diagram).expand(3.0);
        self.painter.rect_filled(
            rect,
            CornerRadius::ZERO,
            self.pal.canvas.gamma_multiply(0.75),
        );
    }

    /// A pivot step of the attack path shown (no flow to draw): a dashed arrow from one
    /// element's centre to the other's edge, in the selection colour.
    pub fn pivot_arrow(&self, from: Rect, to: Rect) {
        let (a, b) = (self.s(from.center()), self.r(to));
        let dir = (b.center() - a).normalized();
        // Stop at the target's box, roughly.
        let end = b.center() - dir * (b.width().min(b.height()) * 0.5 + 2.0);
        let stroke = Stroke::new(2.0, self.pal.selection);
        self.painter
            .extend(Shape::dashed_line(&[a, end], stroke, 7.0, 4.0));
        let head = 9.0;
        let normal = Vec2::new(-dir.y, dir.x);
        let base = end - dir * head;
        self.painter.add(Shape::convex_polygon(
            vec![
                end,
                base + normal * head * 0.45,
                base - normal * head * 0.45,
            ],
            self.pal.selection,
            Stroke::NONE,
        ));
    }

    /// Starts the overview painting of elements (see [`OVERVIEW_MAX_ZOOM`]); `None` when
    /// zoomed in far enough to draw elements one by one.
    pub fn overview(&self) -> Option<Overview<'_, '_>> {
        let far = self.zoom() < FAR_MAX_ZOOM;
        (self.zoom() < OVERVIEW_MAX_ZOOM).then(|| Overview {
            d: self,
            batch: Batch::new(self.painter, &self.meshes, !far),
            far,
            dots: Vec::new(),
            far_dots: Batch::new(self.painter, &self.meshes, false),
            dots_at: self.painter.add(Shape::Noop),
        })
    }

    /// A flow's line: a curve with an arrowhead.
    pub fn flow_line(&self, curve: &FlowCurve, em: Emphasis) {
        let (stroke, path, head) = self.flow_geometry(curve, em);
        match path {
            FlowPath::Straight(points) => {
                self.painter.line_segment(points, stroke);
            }
            FlowPath::Curve(points) => {
                self.painter.add(QuadraticBezierShape::from_points_stroke(
                    points,
                    false,
                    Color32::TRANSPARENT,
                    stroke,
                ));
            }
        }
        self.painter.add(Shape::convex_polygon(
            head.to_vec(),
            stroke.color,
            Stroke::NONE,
        ));
    }

    /// A flow's label plate (name and open-threat badge) at the middle of its curve.
    /// Unless `force`d (selected or hovered), a label that would overlap one of the
    /// `occupied` screen rectangles (other labels, elements) is left out, so labels
    /// disappear before they pile up into noise. Returns the plate's screen rectangle.
    pub fn flow_label(
        &self,
        curve: &FlowCurve,
        label: &str,
        badge: Option<Badge>,
        em: Emphasis,
        occupied: &mut Vec<Rect>,
        force: bool,
    ) -> Option<Rect> {
        let z = self.zoom();
        if z < FLOW_LABEL_MIN_ZOOM || (label.is_empty() && badge.is_none()) {
            return None;
        }
        let text_colour = if em.selected || em.highlighted {
            self.pal.selection
        } else {
            self.pal.ink_weak
        };
        let galley = (!label.is_empty())
            .then(|| self.galley(label.to_owned(), 11.0, text_colour, 160.0 * z, 1));
        let text_size = galley.as_ref().map_or(Vec2::ZERO, |g| g.size());
        let badge_size = badge.map_or(Vec2::ZERO, |b| self.badge_size(b, 0.85));
        let gap = if galley.is_some() && badge.is_some() {
            4.0
        } else {
            0.0
        };
        let pad = Vec2::new(4.0, 1.0);
        let size = Vec2::new(
            text_size.x + gap + badge_size.x + 2.0 * pad.x,
            text_size.y.max(badge_size.y) + 2.0 * pad.y,
        );
        // The middle of the curve first, then further along either way.
        let free = |r: &Rect| force || !occupied.iter().any(|o| o.intersects(*r));
        let plate = [0.5, 0.38, 0.62, 0.28, 0.72]
            .into_iter()
            .map(|t| Rect::from_center_size(self.s(curve.at(t)), size))
            .find(free)?;
        occupied.push(plate.expand(2.0));
        self.painter
            .rect_filled(plate, CornerRadius::same(3), self.pal.label_bg);
        if let Some(g) = galley {
            let pos = Pos2::new(plate.left() + pad.x, plate.center().y - g.size().y / 2.0);
            self.painter.galley(pos, g, text_colour);
        }
        if let Some(bd) = badge {
            let centre = Pos2::new(plate.right() - pad.x - badge_size.x / 2.0, plate.center().y);
            self.badge_at(centre, bd, 0.85);
        }
        Some(plate)
    }

    /// An element by its base shape, with kind monogram, name, kind name and badge.
    pub fn element(
        &self,
        eb: &ElementBox,
        e: &Element,
        icon: &str,
        kind_name: &str,
        badge: Option<Badge>,
        em: Emphasis,
    ) {
        let z = self.zoom();
        let rect = self.r(eb.rect);
        let fill = self.pal.element_fill(eb.base);
        let ink = self.pal.ink;
        let outline = Stroke::new((1.3 * z.sqrt()).clamp(1.0, 2.2), ink);
        match eb.base {
            Some(BaseShape::Process) => {
                let r = (rect.height() / 2.0).min(255.0) as u8;
                self.painter.rect(
                    rect,
                    CornerRadius::same(r),
                    fill,
                    outline,
                    StrokeKind::Middle,
                );
            }
            Some(BaseShape::Store) => {
                self.painter.rect_filled(rect, CornerRadius::ZERO, fill);
                let w = outline.width * 1.3;
                self.painter
                    .line_segment([rect.left_top(), rect.right_top()], Stroke::new(w, ink));
                self.painter.line_segment(
                    [rect.left_bottom(), rect.right_bottom()],
                    Stroke::new(w, ink),
                );
                let inset = 8.0 * z;
                self.painter.line_segment(
                    [
                        rect.left_top() + Vec2::new(inset, 0.0),
                        rect.left_bottom() + Vec2::new(inset, 0.0),
                    ],
                    Stroke::new(outline.width * 0.8, ink),
                );
            }
            Some(BaseShape::Entity) => {
                self.painter.rect(
                    rect,
                    CornerRadius::ZERO,
                    fill,
                    Stroke::new(outline.width * 1.2, ink),
                    StrokeKind::Middle,
                );
            }
            None => {
                // Unknown kind: dashed red outline so it stands out as broken.
                self.painter.rect_filled(rect, CornerRadius::same(2), fill);
                let pts = vec![
                    rect.left_top(),
                    rect.right_top(),
                    rect.right_bottom(),
                    rect.left_bottom(),
                    rect.left_top(),
                ];
                self.painter.extend(Shape::dashed_line(
                    &pts,
                    Stroke::new(1.5, self.pal.icon(None)),
                    5.0,
                    3.0,
                ));
            }
        }
        if em.selected || em.highlighted || em.hovered {
            let colour = if em.hovered && !(em.selected || em.highlighted) {
                self.pal.hover
            } else {
                self.pal.selection
            };
            let w = if em.selected || em.highlighted {
                2.5
            } else {
                1.5
            };
            let radius = if eb.base == Some(BaseShape::Process) {
                (rect.height() / 2.0 + 4.0).min(255.0) as u8
            } else {
                3
            };
            self.painter.rect_stroke(
                rect.expand(4.0),
                CornerRadius::same(radius),
                Stroke::new(w, colour),
                StrokeKind::Middle,
            );
        }
        if z < NAME_MIN_ZOOM {
            if let Some(b) = badge {
                self.badge_at(rect.right_top(), b, 1.0);
            }
            return;
        }
        // Kind monogram: a chip on the left when there is room, else a small tag on the
        // top edge so the name gets the whole width.
        let mono: String = icon.chars().take(3).collect();
        let compact = z < 0.7;
        let chip = if compact {
            let w = 8.0 + 6.0 * mono.chars().count() as f32;
            let x = rect.left() + (rect.height() / 2.0).max(w / 2.0 + 4.0);
            Rect::from_center_size(Pos2::new(x, rect.top()), Vec2::new(w, 12.0))
        } else {
            Rect::from_min_size(
                Pos2::new(rect.left() + 14.0 * z, rect.center().y - 10.0 * z),
                Vec2::new(28.0 * z, 20.0 * z),
            )
        };
        let chip_colour = self.pal.icon(eb.base);
        self.painter.rect_filled(
            chip,
            CornerRadius::same((4.0 * z).clamp(2.0, 8.0) as u8),
            chip_colour,
        );
        let mono_px = if compact {
            8.0
        } else {
            let mono_size = if mono.chars().count() > 2 { 8.5 } else { 10.0 };
            (mono_size * z).max(7.0).min(chip.height() * 0.9)
        };
        self.painter.text(
            chip.center(),
            Align2::CENTER_CENTER,
            mono,
            FontId::monospace(mono_px),
            if self.pal.dark {
                Color32::BLACK
            } else {
                Color32::WHITE
            },
        );
        // Name and kind, to the right of the chip.
        let text_left = if compact {
            rect.left()
                + if eb.base == Some(BaseShape::Process) {
                    10.0
                } else {
                    5.0
                }
        } else {
            chip.right() + 8.0 * z
        };
        let right_pad = if compact {
            text_left - rect.left()
        } else if eb.base == Some(BaseShape::Process) {
            16.0 * z
        } else {
            8.0 * z
        };
        let max_w = (rect.right() - right_pad - text_left).max(10.0);
        let name_rows = self.word_rows(&e.name, 13.0, ink, max_w, 2);
        let two_rows = name_rows.len() > 1;
        let kind = (!two_rows && z >= 0.75)
            .then(|| self.galley(kind_name.to_owned(), 10.0, self.pal.ink_weak, max_w, 1));
        let name_h: f32 = name_rows.iter().map(|g| g.size().y).sum();
        let total_h = name_h + kind.as_ref().map_or(0.0, |k| k.size().y);
        let mut y = rect.center().y - total_h / 2.0;
        if compact {
            // The kind tag sits on the top edge: keep the name clear of it.
            y = y.max(chip.bottom() + 1.0);
        }
        for row in name_rows {
            let name_x = if compact {
                (rect.center().x - row.size().x / 2.0).max(text_left)
            } else {
                text_left
            };
            let h = row.size().y;
            self.painter.galley(Pos2::new(name_x, y), row, ink);
            y += h;
        }
        if let Some(k) = kind {
            self.painter
                .galley(Pos2::new(text_left, y), k, self.pal.ink_weak);
        }
        if let Some(b) = badge {
            self.badge_at(rect.right_top() + Vec2::new(-4.0 * z, 0.0), b, 1.0);
        }
    }

    /// The screen size of a badge drawn at `scale`.
    pub fn badge_size(&self, b: Badge, scale: f32) -> Vec2 {
        if self.zoom() < 0.45 {
            return Vec2::splat(9.0 * scale);
        }
        let z = self.zoom().max(0.75) * scale;
        let text = format!("{} {}", theme::severity_letter(b.worst), b.open);
        let galley =
            self.painter
                .layout_no_wrap(text, FontId::proportional(10.0 * z), Color32::WHITE);
        Vec2::new(galley.size().x + 10.0 * z, 16.0 * z)
    }

    /// A severity badge: a pill with the severity letter and the open count, e.g. `H 3`.
    pub fn badge_at(&self, centre: Pos2, b: Badge, scale: f32) {
        let fill = theme::severity_color(b.worst, self.pal.dark);
        if self.zoom() < 0.45 {
            // Far out, a dot in the worst severity's colour: counts would be noise.
            for shape in severity_dot(centre, scale, fill, self.pal.canvas) {
                self.painter.add(shape);
            }
            return;
        }
        let z = self.zoom().max(0.75) * scale;
        let text_colour = theme::severity_text_color(b.worst, self.pal.dark);
        let text = format!("{} {}", theme::severity_letter(b.worst), b.open);
        let galley = self
            .painter
            .layout_no_wrap(text, FontId::proportional(10.0 * z), text_colour);
        let size = Vec2::new(galley.size().x + 10.0 * z, 16.0 * z);
        let pill = Rect::from_center_size(centre, size);
        self.painter.rect(
            pill,
            CornerRadius::same((8.0 * z) as u8),
            fill,
            Stroke::new(1.5, self.pal.canvas),
            StrokeKind::Outside,
        );
        self.painter
            .galley(pill.center() - galley.size() / 2.0, galley, text_colour);
    }

    /// A ghost of an element being placed.
    pub fn ghost_element(&self, rect_in_diagram: Rect, base: Option<BaseShape>, name: &str) {
        let rect = self.r(rect_in_diagram);
        let radius = if base == Some(BaseShape::Process) {
            (rect.height() / 2.0).min(255.0) as u8
        } else {
            0
        };
        self.painter.rect(
            rect,
            CornerRadius::same(radius),
            self.pal.selection.gamma_multiply(0.12),
            Stroke::new(1.5, self.pal.selection),
            StrokeKind::Middle,
        );
        self.painter.text(
            rect.center(),
            Align2::CENTER_CENTER,
            name,
            self.font(12.0),
            self.pal.selection,
        );
    }

    /// A flow being drawn from an element towards the pointer.
    pub fn ghost_flow(&self, from: Pos2, to: Pos2, valid_target: bool) {
        let (a, b) = (self.s(from), self.s(to));
        let colour = if valid_target {
            self.pal.selection
        } else {
            self.pal.ink_weak
        };
        let dir = (b - a).normalized();
        if !dir.is_finite() {
            return;
        }
        let head = 10.0;
        self.painter.extend(Shape::dashed_line(
            &[a, b - dir * head * 0.8],
            Stroke::new(2.0, colour),
            6.0,
            4.0,
        ));
        let normal = Vec2::new(-dir.y, dir.x);
        let base = b - dir * head;
        self.painter.add(Shape::convex_polygon(
            vec![b, base + normal * head * 0.45, base - normal * head * 0.45],
            colour,
            Stroke::NONE,
        ));
    }

    /// A translucent rectangle (rectangle selection or a boundary being drawn).
    pub fn ghost_rect(&self, rect_in_diagram: Rect, dashed: bool) {
        let rect = self.r(rect_in_diagram);
        if dashed {
            self.painter
                .rect_filled(rect, CornerRadius::ZERO, self.pal.boundary_tint(0));
            let pts = vec![
                rect.left_top(),
                rect.right_top(),
                rect.right_bottom(),
                rect.left_bottom(),
                rect.left_top(),
            ];
            self.painter.extend(Shape::dashed_line(
                &pts,
                Stroke::new(1.6, self.pal.boundary),
                8.0,
                5.0,
            ));
        } else {
            self.painter.rect(
                rect,
                CornerRadius::same(2),
                self.pal.selection.gamma_multiply(0.10),
                Stroke::new(1.0, self.pal.selection),
                StrokeKind::Middle,
            );
        }
    }

    /// A line of text in the canvas' top-left corner (hints for the active tool).
    pub fn hint(&self, canvas: Rect, text: &str) {
        let g =
            self.painter
                .layout_no_wrap(text.to_owned(), FontId::proportional(12.5), self.pal.ink);
        let r = Rect::from_min_size(
            canvas.left_top() + Vec2::new(10.0, 10.0),
            g.size() + Vec2::new(16.0, 8.0),
        );
        self.painter.rect(
            r,
            CornerRadius::same(4),
            self.pal.label_bg,
            Stroke::new(1.0, self.pal.grid),
            StrokeKind::Inside,
        );
        self.painter
            .galley(r.min + Vec2::new(8.0, 4.0), g, self.pal.ink);
    }
}

/// A severity dot far out: a disc in the severity colour with a one-point ring in the
/// canvas colour around it, as two filled circles (which egui draws from prerasterised
/// discs: four vertices each, instead of a tessellated ring).
/// Splits `text` into at most `max_rows` rows between words: each row takes words while
/// `fits` holds; the last row takes the rest (it is ellipsized when drawn).
pub fn split_rows(text: &str, max_rows: usize, fits: impl Fn(&str) -> bool) -> Vec<String> {
    let mut rows: Vec<String> = Vec::new();
    let mut words = text.split_whitespace().peekable();
    while let Some(w) = words.next() {
        let last_row = rows.len() + 1 >= max_rows.max(1);
        let mut line = w.to_owned();
        while let Some(next) = words.peek() {
            let candidate = format!("{line} {next}");
            if last_row || fits(&candidate) {
                line = candidate;
                words.next();
            } else {
                break;
            }
        }
        rows.push(line);
        if last_row {
            break;
        }
    }
    rows
}

fn severity_dot(centre: Pos2, scale: f32, fill: Color32, ring: Color32) -> [Shape; 2] {
    let r = 4.5 * scale;
    [
        Shape::circle_filled(centre, r + 1.0, ring),
        Shape::circle_filled(centre, r, fill),
    ]
}

/// A flow's line in screen space.
enum FlowPath {
    Straight([Pos2; 2]),
    Curve([Pos2; 3]),
}

/// Many simple shapes tessellated into one mesh while painting, with egui's own
/// anti-aliasing (feathering) unless told otherwise, so thousands of them cost one
/// shape. The mesh is put where [`Batch::new`] was called in the paint order.
struct Batch {
    mesh: Mesh,
    path: Path,
    points: Vec<Pos2>,
    feathering: f32,
    at: ShapeIdx,
}

impl Batch {
    /// A batch at the current place in the paint order. Without `antialias` the shapes
    /// get no feathering: a filled quad is 4 vertices instead of 8 and a thin line 4
    /// instead of 6, which is what the far view (shapes a few pixels wide, where the
    /// soft edge is not seen) wants for its hundreds of thousands of vertices.
    fn new(painter: &Painter, pool: &MeshPool, antialias: bool) -> Batch {
        let ctx = painter.ctx();
        let (feather, px) =
            ctx.tessellation_options(|o| (o.feathering, o.feathering_size_in_pixels));
        let feathering = if feather && antialias {
            px / ctx.pixels_per_point().max(0.01)
        } else {
            0.0
        };
        Batch {
            mesh: pool.take(),
            path: Path::default(),
            points: Vec::new(),
            feathering,
            at: painter.add(Shape::Noop),
        }
    }

    /// An open line through `points`.
    fn polyline(&mut self, points: &[Pos2], stroke: Stroke) {
        if points.len() < 2 || stroke.is_empty() {
            return;
        }
        self.path.clear();
        self.path.add_open_points(points);
        self.path
            .stroke_open(self.feathering, &PathStroke::from(stroke), &mut self.mesh);
    }

    /// A flow line: a straight segment, or a quadratic curve flattened to within a
    /// tenth of a point (egui's own tolerance for curves).
    fn curve(&mut self, path: FlowPath, stroke: Stroke) {
        match path {
            FlowPath::Straight(points) => self.polyline(&points, stroke),
            FlowPath::Curve(points) => {
                let flat = QuadraticBezierShape::from_points_stroke(
                    points,
                    false,
                    Color32::TRANSPARENT,
                    stroke,
                )
                .flatten(Some(0.1));
                self.polyline(&flat, stroke);
            }
        }
    }

    /// A filled convex polygon.
    fn convex(&mut self, points: &[Pos2], fill: Color32) {
        if points.len() < 3 || fill == Color32::TRANSPARENT {
            return;
        }
        self.path.clear();
        self.path.add_line_loop(points);
        self.path.fill(self.feathering, fill, &mut self.mesh);
    }

    /// A filled rectangle with corners rounded by `r` (convex).
    fn rounded_rect(&mut self, rect: Rect, r: f32, fill: Color32) {
        let mut pts = std::mem::take(&mut self.points);
        pts.clear();
        rounded_rect_points(rect, r, &mut pts);
        self.convex(&pts, fill);
        self.points = pts;
    }

    /// Puts the mesh in its place in the paint order; returns it (if not empty).
    fn finish(self, painter: &Painter, pool: &MeshPool) -> Option<Arc<Mesh>> {
        if self.mesh.is_empty() {
            return None;
        }
        let mesh = pool.give(self.mesh);
        painter.set(self.at, Shape::Mesh(mesh.clone()));
        Some(mesh)
    }
}

/// The outline of a rectangle with rounded corners, clockwise in screen space, with a
/// few points per corner (enough for the small radii of the overview).
fn rounded_rect_points(rect: Rect, r: f32, out: &mut Vec<Pos2>) {
    let r = r.min(rect.width() / 2.0).min(rect.height() / 2.0).max(0.0);
    if r < 0.5 {
        out.extend([
            rect.left_top(),
            rect.right_top(),
            rect.right_bottom(),
            rect.left_bottom(),
        ]);
        return;
    }
    let steps = if r < 3.0 {
        2
    } else if r < 8.0 {
        3
    } else {
        5
    };
    // Corner centres and the angle each arc starts at (y down: clockwise).
    let corners = [
        (
            Pos2::new(rect.right() - r, rect.top() + r),
            -std::f32::consts::FRAC_PI_2,
        ),
        (Pos2::new(rect.right() - r, rect.bottom() - r), 0.0),
        (
            Pos2::new(rect.left() + r, rect.bottom() - r),
            std::f32::consts::FRAC_PI_2,
        ),
        (
            Pos2::new(rect.left() + r, rect.top() + r),
            std::f32::consts::PI,
        ),
    ];
    for (c, start) in corners {
        for i in 0..=steps {
            let a = start + std::f32::consts::FRAC_PI_2 * i as f32 / steps as f32;
            out.push(c + Vec2::new(a.cos(), a.sin()) * r);
        }
    }
}

/// Elements painted in bulk at overview zoom (see [`Draw::overview`]): the same base
/// shapes, fills and outlines as [`Draw::element`] draws there, as one mesh, with the
/// severity dots on top. Emphasised and unknown-kind elements are left to
/// [`Draw::element`], which paints them above the batch.
pub struct Overview<'d, 'p> {
    d: &'d Draw<'p>,
    batch: Batch,
    /// Below [`FAR_MAX_ZOOM`]: plain rectangles, and the dots in a mesh of their own.
    far: bool,
    dots: Vec<Shape>,
    far_dots: Batch,
    dots_at: ShapeIdx,
}

/// What a bulk painting call put in one mesh, and what it painted on its own (indices
/// in the layout), so the canvas can paint the same again from a cache.
#[derive(Debug, Default)]
pub struct Bulk {
    /// The mesh, if anything went into it.
    pub mesh: Option<Arc<Mesh>>,
    /// Items painted one by one (emphasised, or of an unknown kind).
    pub singles: Vec<usize>,
}

impl Overview<'_, '_> {
    /// Adds an element; `false` when it has to be drawn by [`Draw::element`] instead.
    pub fn element(&mut self, eb: &ElementBox, badge: Option<Badge>, em: Emphasis) -> bool {
        if em.selected || em.hovered || em.highlighted {
            return false;
        }
        let Some(base) = eb.base else {
            return false;
        };
        let d = self.d;
        let z = d.zoom();
        let rect = d.r(eb.rect);
        let fill = d.pal.element_fill(eb.base);
        let ink = d.pal.ink;
        let w = (1.3 * z.sqrt()).clamp(1.0, 2.2);
        if self.far {
            // A few points wide: an outlined rectangle whatever the shape.
            self.batch.rounded_rect(rect.expand(w / 2.0), 0.0, ink);
            self.batch.rounded_rect(rect.shrink(w / 2.0), 0.0, fill);
            if let Some(b) = badge {
                let fill = theme::severity_color(b.worst, d.pal.dark);
                let c = rect.right_top();
                let diamond = |r: f32| {
                    [
                        c - Vec2::new(0.0, r),
                        c + Vec2::new(r, 0.0),
                        c + Vec2::new(0.0, r),
                        c - Vec2::new(r, 0.0),
                    ]
                };
                self.far_dots.convex(&diamond(4.0), d.pal.canvas);
                self.far_dots.convex(&diamond(3.0), fill);
            }
            return true;
        }
        match base {
            BaseShape::Process => {
                let r = (rect.height() / 2.0).min(255.0).floor();
                self.batch
                    .rounded_rect(rect.expand(w / 2.0), r + w / 2.0, ink);
                self.batch
                    .rounded_rect(rect.shrink(w / 2.0), r - w / 2.0, fill);
            }
            BaseShape::Entity => {
                let w = w * 1.2;
                self.batch.rounded_rect(rect.expand(w / 2.0), 0.0, ink);
                self.batch.rounded_rect(rect.shrink(w / 2.0), 0.0, fill);
            }
            BaseShape::Store => {
                self.batch.rounded_rect(rect, 0.0, fill);
                let lw = w * 1.3;
                let band = |y: f32, h: f32| {
                    Rect::from_min_max(
                        Pos2::new(rect.left(), y - h / 2.0),
                        Pos2::new(rect.right(), y + h / 2.0),
                    )
                };
                self.batch.rounded_rect(band(rect.top(), lw), 0.0, ink);
                self.batch.rounded_rect(band(rect.bottom(), lw), 0.0, ink);
                let x = rect.left() + 8.0 * z;
                let iw = w * 0.8;
                let side = Rect::from_min_max(
                    Pos2::new(x - iw / 2.0, rect.top()),
                    Pos2::new(x + iw / 2.0, rect.bottom()),
                );
                self.batch.rounded_rect(side, 0.0, ink);
            }
        }
        if let Some(b) = badge {
            let fill = theme::severity_color(b.worst, d.pal.dark);
            self.dots
                .extend(severity_dot(rect.right_top(), 1.0, fill, d.pal.canvas));
        }
        true
    }

    /// Puts the batched elements and their dots in place. Returns the elements' mesh
    /// and, below [`FAR_MAX_ZOOM`], the dots' mesh.
    pub fn finish(self) -> (Option<Arc<Mesh>>, Option<Arc<Mesh>>) {
        let painter = self.d.painter;
        let elements = self.batch.finish(painter, &self.d.meshes);
        if !self.dots.is_empty() {
            painter.set(self.dots_at, Shape::Vec(self.dots));
        }
        let dots = self.far_dots.finish(painter, &self.d.meshes);
        (elements, dots)
    }
}

#[cfg(test)]
mod tests {
    use super::split_rows;

    #[test]
    fn names_break_between_words_only() {
        let fits = |s: &str| s.chars().count() <= 10;
        assert_eq!(
            split_rows("payment service-api", 2, fits),
            vec!["payment", "service-api"],
            "the long word stays whole (drawn with an ellipsis if too wide)"
        );
        assert_eq!(split_rows("Kubernetes", 2, fits), vec!["Kubernetes"]);
        assert_eq!(
            split_rows("a b c d e f g h i j k l m", 2, fits),
            vec!["a b c d e", "f g h i j k l m"]
        );
        assert_eq!(split_rows("  ", 2, fits), Vec::<String>::new());
    }
}
