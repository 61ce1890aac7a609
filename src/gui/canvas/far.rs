//! The far view's cache. Below [`FAR_MAX_ZOOM`] the diagram is a few bulk meshes
//! (boundary bodies, flow lines, element rectangles, severity dots); while nothing they
//! show changes (the model, the view, the selection, the hover, the attack path shown,
//! the theme) the next frame paints the same meshes again instead of rebuilding them.
//! Idle frames of a whole large model, the common case while a reviewer reads the
//! threats table, then cost little more than handing egui the meshes.

use super::draw::{Bulk, FAR_MAX_ZOOM};
use super::{CanvasState, Scene};
use crate::gui::selection::Selection;
use eframe::egui::{Mesh, Rect};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// The bulk meshes of one far-view frame and what they were built from.
#[derive(Debug, Default)]
pub struct FarCache {
    key: u64,
    /// Boundary bodies.
    pub boundaries: Option<Arc<Mesh>>,
    /// Plain flow lines; `flows.singles` were painted on their own.
    pub flows: Bulk,
    /// Plain elements; `elements.singles` were painted on their own.
    pub elements: Bulk,
    /// Severity dots of the plain elements.
    pub dots: Option<Arc<Mesh>>,
}

impl FarCache {
    /// An empty cache for the frame with `key`, to be filled while painting.
    pub fn new(key: u64) -> FarCache {
        FarCache {
            key,
            ..FarCache::default()
        }
    }
}

/// What the far-view meshes of this frame depend on, hashed; `None` when the view is not
/// far, or a gesture previews moved items (nothing is cached then).
pub fn key(
    scene: &Scene<'_>,
    selection: &Selection,
    state: &CanvasState,
    canvas: Rect,
    (pixels_per_point, dark): (f32, bool),
) -> Option<u64> {
    if state.view.zoom >= FAR_MAX_ZOOM || state.is_busy() {
        return None;
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    scene.key.hash(&mut h);
    for f in [
        state.view.zoom,
        state.view.offset.x,
        state.view.offset.y,
        canvas.min.x,
        canvas.min.y,
        canvas.max.x,
        canvas.max.y,
        pixels_per_point,
    ] {
        f.to_bits().hash(&mut h);
    }
    dark.hash(&mut h);
    selection.elements.hash(&mut h);
    selection.flows.hash(&mut h);
    selection.boundaries.hash(&mut h);
    selection.threats.hash(&mut h);
    state.hovered.as_ref().and_then(|x| x.item()).hash(&mut h);
    if let Some(f) = scene.focus {
        f.elements.hash(&mut h);
        f.flows.hash(&mut h);
    }
    Some(h.finish())
}

/// Takes the cache out of the canvas state if it was built for `key`.
pub fn take(state: &mut CanvasState, key: Option<u64>) -> Option<FarCache> {
    let k = key?;
    state.far.take().filter(|c| c.key == k)
}
