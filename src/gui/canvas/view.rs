//! The canvas view: how diagram space (the model's coordinates, y down) maps to screen
//! space (egui points). Names follow `screen_from_diagram` / `diagram_from_screen`.

use eframe::egui::{Pos2, Rect, Vec2, emath::TSTransform};

/// Smallest zoom factor allowed (2 %): low enough that "fit" shows the whole of a
/// platform model of thousands of elements (names and labels are hidden long before).
pub const MIN_ZOOM: f32 = 0.02;
/// Largest zoom factor allowed (400 %).
pub const MAX_ZOOM: f32 = 4.0;

/// Pan and zoom of the canvas. `offset` is where the diagram origin lands, relative to the
/// canvas' top-left corner, in screen points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct View {
    /// Screen offset of the diagram origin from the canvas' top-left corner.
    pub offset: Vec2,
    /// Screen points per diagram unit.
    pub zoom: f32,
}

impl Default for View {
    fn default() -> Self {
        View {
            offset: Vec2::new(40.0, 40.0),
            zoom: 1.0,
        }
    }
}

impl View {
    /// The transform from diagram coordinates to screen coordinates for a canvas rect.
    pub fn screen_from_diagram(&self, canvas: Rect) -> TSTransform {
        TSTransform::new(canvas.min.to_vec2() + self.offset, self.zoom)
    }

    /// The transform from screen coordinates to diagram coordinates.
    pub fn diagram_from_screen(&self, canvas: Rect) -> TSTransform {
        self.screen_from_diagram(canvas).inverse()
    }

    /// The part of the diagram that is visible in the canvas.
    pub fn visible_in_diagram(&self, canvas: Rect) -> Rect {
        self.diagram_from_screen(canvas) * canvas
    }

    /// Multiplies the zoom by `factor`, keeping the diagram point under `anchor_in_screen`
    /// where it is.
    pub fn zoom_about(&mut self, canvas: Rect, anchor_in_screen: Pos2, factor: f32) {
        if !factor.is_finite() || factor <= 0.0 {
            return;
        }
        let anchor_in_diagram = self.diagram_from_screen(canvas) * anchor_in_screen;
        self.zoom = (self.zoom * factor).clamp(MIN_ZOOM, MAX_ZOOM);
        // Solve canvas.min + offset + anchor_in_diagram * zoom == anchor_in_screen.
        self.offset = anchor_in_screen - canvas.min - anchor_in_diagram.to_vec2() * self.zoom;
    }

    /// Moves the view by a screen-space delta.
    pub fn pan(&mut self, delta_in_screen: Vec2) {
        if delta_in_screen.is_finite() {
            self.offset += delta_in_screen;
        }
    }

    /// Zooms and pans so `content_in_diagram` fills the canvas with a margin, at most at
    /// 100 % so a small model is not blown up.
    pub fn fit(&mut self, canvas: Rect, content_in_diagram: Rect) {
        let margin = 24.0;
        let avail = (canvas.size() - Vec2::splat(2.0 * margin)).max(Vec2::splat(10.0));
        let size = content_in_diagram.size().max(Vec2::splat(1.0));
        let zoom = (avail.x / size.x)
            .min(avail.y / size.y)
            .clamp(MIN_ZOOM, 1.0);
        if !zoom.is_finite() || !content_in_diagram.is_finite() {
            return;
        }
        self.zoom = zoom;
        let centre_in_diagram = content_in_diagram.center().to_vec2();
        self.offset = canvas.size() / 2.0 - centre_in_diagram * zoom;
    }

    /// Centres the view on a diagram point without changing the zoom.
    pub fn centre_on(&mut self, canvas: Rect, point_in_diagram: Pos2) {
        self.offset = canvas.size() / 2.0 - point_in_diagram.to_vec2() * self.zoom;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canvas() -> Rect {
        Rect::from_min_size(Pos2::new(200.0, 30.0), Vec2::new(800.0, 600.0))
    }

    #[test]
    fn round_trip_between_spaces() {
        let v = View {
            offset: Vec2::new(13.0, -7.0),
            zoom: 1.7,
        };
        let p = Pos2::new(120.0, 80.0);
        let back = v.diagram_from_screen(canvas()) * (v.screen_from_diagram(canvas()) * p);
        assert!((back - p).length() < 1e-3);
    }

    #[test]
    fn zoom_keeps_the_point_under_the_cursor() {
        let mut v = View::default();
        let cursor = Pos2::new(500.0, 300.0);
        let before = v.diagram_from_screen(canvas()) * cursor;
        v.zoom_about(canvas(), cursor, 1.5);
        let after = v.diagram_from_screen(canvas()) * cursor;
        assert!((before - after).length() < 1e-3);
        assert!((v.zoom - 1.5).abs() < 1e-6);
    }

    #[test]
    fn zoom_is_clamped() {
        let mut v = View::default();
        v.zoom_about(canvas(), Pos2::ZERO, 1000.0);
        assert_eq!(v.zoom, MAX_ZOOM);
        v.zoom_about(canvas(), Pos2::ZERO, 0.0);
        assert_eq!(v.zoom, MAX_ZOOM, "a zero factor is ignored");
        v.zoom_about(canvas(), Pos2::ZERO, 1e-9);
        assert_eq!(v.zoom, MIN_ZOOM);
    }

    #[test]
    fn fit_shows_all_content() {
        let mut v = View::default();
        let content = Rect::from_min_max(Pos2::new(-500.0, 0.0), Pos2::new(2500.0, 900.0));
        v.fit(canvas(), content);
        let visible = v.visible_in_diagram(canvas());
        assert!(
            visible.contains_rect(content),
            "{visible:?} should contain {content:?}"
        );
        assert!(v.zoom <= 1.0);
    }
}
