//! Colours shared by every report format (and meant for the canvas too), so that a
//! severity looks the same on the canvas badge, in the table and in the PDF. Each
//! severity is paired with a letter, so colour is never the only cue.

use crate::model::Severity;

/// An sRGB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// `#rrggbb`.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
    /// Components in 0..=1.
    pub fn unit(self) -> (f32, f32, f32) {
        (
            f32::from(self.0) / 255.0,
            f32::from(self.1) / 255.0,
            f32::from(self.2) / 255.0,
        )
    }
}

/// Body text.
pub const TEXT: Rgb = Rgb(0x1f, 0x23, 0x28);
/// Secondary text (labels, captions).
pub const MUTED: Rgb = Rgb(0x5f, 0x66, 0x70);
/// Hairlines and table rules.
pub const RULE: Rgb = Rgb(0xc9, 0xcd, 0xd3);
/// Alternate table row background.
pub const STRIPE: Rgb = Rgb(0xf3, 0xf4, 0xf6);
/// Table header background.
pub const HEADER_BG: Rgb = Rgb(0xe4, 0xe7, 0xeb);
/// Accent for headings and the cover.
pub const ACCENT: Rgb = Rgb(0x1d, 0x3f, 0x72);
/// Relation lines (teal: apart from the grey of flows and the orange of boundaries).
pub const RELATION: Rgb = Rgb(0x0f, 0x76, 0x6e);
/// White.
pub const WHITE: Rgb = Rgb(0xff, 0xff, 0xff);
/// Trust boundary outline (a warning colour).
pub const BOUNDARY: Rgb = Rgb(0xc2, 0x41, 0x0c);
/// Trust boundary title tab.
pub const BOUNDARY_TAB: Rgb = Rgb(0xfd, 0xe2, 0xcf);
/// Element outline.
pub const ELEMENT_STROKE: Rgb = Rgb(0x37, 0x41, 0x51);
/// Element fill.
pub const ELEMENT_FILL: Rgb = Rgb(0xff, 0xff, 0xff);
/// Kind monogram background.
pub const ICON_BG: Rgb = Rgb(0xdb, 0xe4, 0xf0);
/// Flow arrows.
pub const FLOW: Rgb = Rgb(0x4b, 0x55, 0x63);
/// Badge of an item whose threats are all triaged.
pub const TRIAGED: Rgb = Rgb(0x8a, 0x8f, 0x98);

/// Boundary fills by nesting depth (cycled), so nesting is visible at a glance.
pub const BOUNDARY_TINTS: [Rgb; 4] = [
    Rgb(0xff, 0xf7, 0xed),
    Rgb(0xee, 0xf4, 0xfb),
    Rgb(0xf0, 0xf8, 0xf1),
    Rgb(0xf6, 0xf1, 0xfb),
];

/// The tint of a boundary at a nesting depth (0 = top level).
pub fn boundary_tint(depth: usize) -> Rgb {
    BOUNDARY_TINTS[depth % BOUNDARY_TINTS.len()]
}

/// Fill colour of a severity.
pub fn severity_color(s: Severity) -> Rgb {
    match s {
        Severity::Critical => Rgb(0x8b, 0x12, 0x2a),
        Severity::High => Rgb(0xd9, 0x48, 0x0f),
        Severity::Medium => Rgb(0xf0, 0xb4, 0x29),
        Severity::Low => Rgb(0x2f, 0x6f, 0xb5),
    }
}

/// `c` mixed with white: `t` 0 keeps it, 1 is white (faint fills of empty cells).
pub fn tint(c: Rgb, t: f64) -> Rgb {
    let t = t.clamp(0.0, 1.0);
    let mix = |v: u8| {
        (f64::from(v) + (255.0 - f64::from(v)) * t)
            .round()
            .clamp(0.0, 255.0) as u8
    };
    Rgb(mix(c.0), mix(c.1), mix(c.2))
}

/// Text colour that reads on [`severity_color`].
pub fn severity_text(s: Severity) -> Rgb {
    match s {
        Severity::Medium => Rgb(0x1f, 0x23, 0x28),
        _ => WHITE,
    }
}

/// The letter paired with a severity colour.
pub fn severity_letter(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "C",
        Severity::High => "H",
        Severity::Medium => "M",
        Severity::Low => "L",
    }
}
