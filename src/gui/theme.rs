//! Colours shared by the canvas, the panels and the threats workspace, for light and dark
//! themes. Severity colours always come with a letter so they read without colour vision.

use crate::model::Severity;
use crate::rules::BaseShape;
use eframe::egui::{Color32, Visuals};

/// The palette for one theme.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Palette {
    /// Whether this is the dark palette.
    pub dark: bool,
    /// Canvas background.
    pub canvas: Color32,
    /// Grid dots or lines.
    pub grid: Color32,
    /// Element outlines and names.
    pub ink: Color32,
    /// Secondary text (flow labels, kinds).
    pub ink_weak: Color32,
    /// Flow lines.
    pub flow: Color32,
    /// Trust boundary dashes and title tabs.
    pub boundary: Color32,
    /// Text on a boundary's title tab.
    pub boundary_text: Color32,
    /// Selection outline.
    pub selection: Color32,
    /// Hover outline.
    pub hover: Color32,
    /// Background of labels drawn over lines.
    pub label_bg: Color32,
}

impl Palette {
    /// The palette matching egui's visuals.
    pub fn of(visuals: &Visuals) -> Palette {
        if visuals.dark_mode {
            Palette::DARK
        } else {
            Palette::LIGHT
        }
    }

    /// The light palette.
    pub const LIGHT: Palette = Palette {
        dark: false,
        canvas: Color32::from_rgb(0xFB, 0xFB, 0xFA),
        grid: Color32::from_rgb(0xE4, 0xE4, 0xE0),
        ink: Color32::from_rgb(0x1F, 0x23, 0x28),
        ink_weak: Color32::from_rgb(0x4B, 0x52, 0x5A),
        flow: Color32::from_rgb(0x3A, 0x40, 0x48),
        boundary: Color32::from_rgb(0xC2, 0x41, 0x0C),
        boundary_text: Color32::WHITE,
        selection: Color32::from_rgb(0x25, 0x63, 0xEB),
        hover: Color32::from_rgb(0x60, 0x8F, 0xF0),
        label_bg: Color32::from_rgba_premultiplied(0xFB, 0xFB, 0xFA, 0xE8),
    };

    /// The dark palette.
    pub const DARK: Palette = Palette {
        dark: true,
        canvas: Color32::from_rgb(0x1B, 0x1D, 0x21),
        grid: Color32::from_rgb(0x2C, 0x2F, 0x35),
        ink: Color32::from_rgb(0xE6, 0xE8, 0xEB),
        ink_weak: Color32::from_rgb(0xA9, 0xAF, 0xB7),
        flow: Color32::from_rgb(0xB8, 0xBE, 0xC6),
        boundary: Color32::from_rgb(0xF9, 0x8C, 0x4A),
        boundary_text: Color32::from_rgb(0x1B, 0x1D, 0x21),
        selection: Color32::from_rgb(0x60, 0xA5, 0xFA),
        hover: Color32::from_rgb(0x93, 0xC0, 0xFB),
        label_bg: Color32::from_rgba_premultiplied(0x1B, 0x1D, 0x21, 0xE8),
    };

    /// Fill of an element of a base shape.
    pub fn element_fill(&self, base: Option<BaseShape>) -> Color32 {
        match (self.dark, base) {
            (false, Some(BaseShape::Entity)) => Color32::from_rgb(0xEC, 0xF0, 0xF6),
            (false, Some(BaseShape::Process)) => Color32::from_rgb(0xEA, 0xF5, 0xEE),
            (false, Some(BaseShape::Store)) => Color32::from_rgb(0xF8, 0xF2, 0xE4),
            (false, None) => Color32::from_rgb(0xF4, 0xE4, 0xE4),
            (true, Some(BaseShape::Entity)) => Color32::from_rgb(0x2A, 0x33, 0x40),
            (true, Some(BaseShape::Process)) => Color32::from_rgb(0x25, 0x36, 0x2C),
            (true, Some(BaseShape::Store)) => Color32::from_rgb(0x3A, 0x34, 0x26),
            (true, None) => Color32::from_rgb(0x45, 0x2A, 0x2A),
        }
    }

    /// Colour of the kind monogram chip of an element of a base shape.
    pub fn icon(&self, base: Option<BaseShape>) -> Color32 {
        match (self.dark, base) {
            (false, Some(BaseShape::Entity)) => Color32::from_rgb(0x4A, 0x5F, 0x80),
            (false, Some(BaseShape::Process)) => Color32::from_rgb(0x2F, 0x6B, 0x47),
            (false, Some(BaseShape::Store)) => Color32::from_rgb(0x86, 0x62, 0x1C),
            (true, Some(BaseShape::Entity)) => Color32::from_rgb(0x8F, 0xA8, 0xD0),
            (true, Some(BaseShape::Process)) => Color32::from_rgb(0x7F, 0xC8, 0x9B),
            (true, Some(BaseShape::Store)) => Color32::from_rgb(0xD9, 0xB3, 0x66),
            (_, None) => Color32::from_rgb(0xB0, 0x40, 0x40),
        }
    }

    /// A faint fill for a boundary at a nesting depth, so nesting shows at a glance.
    pub fn boundary_tint(&self, depth: usize) -> Color32 {
        let tints: [(u8, u8, u8); 4] = [
            (0xF0, 0x8A, 0x24),
            (0x3B, 0x82, 0xF6),
            (0x10, 0xB9, 0x81),
            (0xA8, 0x55, 0xF7),
        ];
        let (r, g, b) = tints[depth % tints.len()];
        let a = if self.dark { 16 } else { 12 };
        Color32::from_rgba_unmultiplied(r, g, b, a)
    }
}

/// Installs the fonts: egui's defaults, with the bundled Hack face added as a fallback
/// to the proportional family so arrows (→), shapes (▲ ▼ ●) and box drawing render
/// instead of empty boxes. Hack is already in the binary, so this costs nothing.
pub fn install_fonts(ctx: &eframe::egui::Context) {
    let mut defs = eframe::egui::FontDefinitions::default();
    if defs.font_data.contains_key("Hack")
        && let Some(fam) = defs
            .families
            .get_mut(&eframe::egui::FontFamily::Proportional)
        && !fam.iter().any(|f| f == "Hack")
    {
        fam.push("Hack".to_owned());
    }
    ctx.set_fonts(defs);
    install_spacing(ctx);
}

/// Larger hit targets than egui's defaults: 18 px check boxes and radio buttons (14 by
/// default) and 22 px rows, in both themes.
pub fn install_spacing(ctx: &eframe::egui::Context) {
    ctx.all_styles_mut(|s| {
        s.spacing.icon_width = 18.0;
        s.spacing.icon_width_inner = 10.0;
        s.spacing.interact_size.y = s.spacing.interact_size.y.max(22.0);
    });
}

/// The colour of a severity, readable in both themes.
pub fn severity_color(sev: Severity, dark: bool) -> Color32 {
    match (sev, dark) {
        (Severity::Critical, false) => Color32::from_rgb(0xA5, 0x0F, 0x15),
        (Severity::Critical, true) => Color32::from_rgb(0xE8, 0x4A, 0x5F),
        (Severity::High, false) => Color32::from_rgb(0xD9, 0x5F, 0x02),
        (Severity::High, true) => Color32::from_rgb(0xF5, 0x8B, 0x3C),
        (Severity::Medium, false) => Color32::from_rgb(0xE6, 0xAB, 0x02),
        (Severity::Medium, true) => Color32::from_rgb(0xF2, 0xC3, 0x3B),
        (Severity::Low, false) => Color32::from_rgb(0x1F, 0x78, 0xB4),
        (Severity::Low, true) => Color32::from_rgb(0x6C, 0xB4, 0xEE),
    }
}

/// Text colour to put on a severity-coloured background.
pub fn severity_text_color(sev: Severity, dark: bool) -> Color32 {
    match (sev, dark) {
        (Severity::Medium, _) => Color32::BLACK,
        (_, false) => Color32::WHITE,
        (_, true) => Color32::BLACK,
    }
}

/// The one-letter code of a severity (C, H, M, L), paired with its colour everywhere.
pub fn severity_letter(sev: Severity) -> char {
    match sev {
        Severity::Critical => 'C',
        Severity::High => 'H',
        Severity::Medium => 'M',
        Severity::Low => 'L',
    }
}

/// The neutral colour of triaged (decided) threats.
pub fn triaged_color(dark: bool) -> Color32 {
    if dark {
        Color32::from_rgb(0x8A, 0x90, 0x98)
    } else {
        Color32::from_rgb(0x7A, 0x80, 0x88)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WCAG relative luminance.
    fn luminance(c: Color32) -> f32 {
        let f = |v: u8| {
            let s = v as f32 / 255.0;
            if s <= 0.03928 {
                s / 12.92
            } else {
                ((s + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * f(c.r()) + 0.7152 * f(c.g()) + 0.0722 * f(c.b())
    }

    fn contrast(a: Color32, b: Color32) -> f32 {
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn badge_text_is_readable_on_every_severity() {
        for dark in [false, true] {
            for s in Severity::ALL {
                let c = contrast(severity_color(s, dark), severity_text_color(s, dark));
                assert!(c >= 3.0, "{s:?} dark={dark}: contrast {c}");
            }
        }
    }

    #[test]
    fn severities_differ_in_lightness() {
        // Colour-blind readers rely on lightness (and the letter): no two severities may
        // have the same luminance.
        for dark in [false, true] {
            let mut l: Vec<f32> = Severity::ALL
                .iter()
                .map(|&s| luminance(severity_color(s, dark)))
                .collect();
            l.sort_by(f32::total_cmp);
            for w in l.windows(2) {
                assert!(w[1] - w[0] > 0.02, "dark={dark}: {l:?}");
            }
        }
    }

    #[test]
    fn ink_contrasts_with_canvas() {
        for p in [Palette::LIGHT, Palette::DARK] {
            assert!(contrast(p.ink, p.canvas) > 7.0);
            assert!(contrast(p.boundary, p.canvas) > 3.0);
        }
    }
}
