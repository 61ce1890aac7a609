//! The risk matrices of the Controls section as coloured grids: likelihood up the side,
//! impact along the bottom, each cell filled with the colour of its risk level (faint
//! when empty) and carrying its count or, when empty, the level's letter, so colour is
//! never the only cue. Before and after controls side by side.

use super::writer::{Doc, MARGIN};
use crate::analysis::risk::{self, Cell, Matrices, Matrix};
use crate::report::style;

/// Gap between the two grids.
const GAP: f64 = 28.0;
/// Height of a cell.
const CELL_H: f64 = 22.0;
/// Axis label size.
const LABEL: f64 = 6.8;

/// The height [`matrices`] takes.
pub fn height(m: &Matrices) -> f64 {
    14.0 + 10.0 + f64::from(m.initial.scale.levels()) * CELL_H + 26.0 + 18.0
}

/// Both matrices side by side, with the level legend under them.
pub fn matrices(doc: &mut Doc<'_>, m: &Matrices) {
    let h = height(m);
    doc.ensure(h);
    let w = (doc.width() - GAP) / 2.0;
    let top = doc.y;
    grid(doc, MARGIN, top, w, "Risk before controls", &m.initial);
    grid(
        doc,
        MARGIN + w + GAP,
        top,
        w,
        "Residual risk after controls",
        &m.residual,
    );
    let ly = top + h - 8.0;
    let fonts = doc.fonts;
    let mut x = MARGIN;
    for level in [
        risk::Level::Critical,
        risk::Level::High,
        risk::Level::Medium,
        risk::Level::Low,
    ] {
        let sev = level.severity();
        doc.page
            .fill_rect(x, ly - 7.0, 9.0, 9.0, 1.5, style::severity_color(sev));
        let label = format!("{} {} risk", style::severity_letter(sev), level.key());
        doc.page
            .text(fonts, x + 12.0, ly + 1.0, 7.5, false, style::MUTED, &label);
        x += 12.0 + fonts.width(&label, 7.5, false) + 14.0;
    }
    doc.page.text(
        fonts,
        x,
        ly + 1.0,
        7.5,
        false,
        style::MUTED,
        "Numbers are threats per cell; a faint cell has none.",
    );
    doc.y = top + h + 6.0;
}

/// One grid in the box at (`x`, `top`) of width `w`.
fn grid(doc: &mut Doc<'_>, x: f64, top: f64, w: f64, title: &str, m: &Matrix) {
    let fonts = doc.fonts;
    let lik = risk::likelihood_labels(m.scale);
    let imp = risk::impact_labels(m.scale);
    let levels = m.scale.levels();
    let n = f64::from(levels);
    doc.page
        .text(fonts, x, top + 10.0, 9.5, true, style::TEXT, title);
    let side = lik
        .iter()
        .map(|l| fonts.width(l, LABEL, false))
        .fold(fonts.width("Likelihood", LABEL, true), f64::max)
        + 6.0;
    let cell_w = (w - side) / n;
    let gx = x + side;
    let gy = top + 14.0 + 10.0;
    doc.page.text(
        fonts,
        gx - 4.0 - fonts.width("Likelihood", LABEL, true),
        gy - 3.0,
        LABEL,
        true,
        style::TEXT,
        "Likelihood",
    );
    for l in 1..=levels {
        let y = gy + CELL_H * f64::from(levels - l);
        let name = lik.get(usize::from(l - 1)).copied().unwrap_or("");
        doc.page.text(
            fonts,
            gx - 4.0 - fonts.width(name, LABEL, false),
            y + CELL_H / 2.0 + 2.4,
            LABEL,
            false,
            style::TEXT,
            name,
        );
        for i in 1..=levels {
            let c = Cell {
                likelihood: l,
                impact: i,
            };
            let sev = c.level(m.scale).severity();
            let count = m.at(c);
            let cx = gx + cell_w * f64::from(i - 1);
            let fill = style::severity_color(sev);
            let (bg, fg, label, bold) = if count == 0 {
                (
                    style::tint(fill, 0.8),
                    style::MUTED,
                    style::severity_letter(sev).to_owned(),
                    false,
                )
            } else {
                (fill, style::severity_text(sev), count.to_string(), true)
            };
            doc.page
                .fill_rect(cx + 0.75, y + 0.75, cell_w - 1.5, CELL_H - 1.5, 1.5, bg);
            let size = if count == 0 { 7.0 } else { 9.0 };
            let tw = fonts.width(&label, size, bold);
            doc.page.text(
                fonts,
                cx + (cell_w - tw) / 2.0,
                y + CELL_H / 2.0 + size * 0.35,
                size,
                bold,
                fg,
                &label,
            );
        }
    }
    let by = gy + CELL_H * n + 9.0;
    for i in 1..=levels {
        let name = imp.get(usize::from(i - 1)).copied().unwrap_or("");
        let cx = gx + cell_w * (f64::from(i) - 0.5);
        doc.page.text(
            fonts,
            cx - fonts.width(name, LABEL, false) / 2.0,
            by,
            LABEL,
            false,
            style::TEXT,
            name,
        );
    }
    let title = "Impact";
    doc.page.text(
        fonts,
        gx + (cell_w * n - fonts.width(title, LABEL, true)) / 2.0,
        by + 10.0,
        LABEL,
        true,
        style::TEXT,
        title,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RiskScale;
    use crate::report::fonts::Fonts;
    use printpdf::Op;

    /// The fill colour of every filled shape, in drawing order.
    fn fills(ops: &[Op]) -> Vec<(f32, f32, f32)> {
        ops.windows(2)
            .filter_map(|w| match (&w[0], &w[1]) {
                (
                    Op::SetFillColor {
                        col: printpdf::Color::Rgb(c),
                    },
                    Op::DrawPolygon { .. },
                ) => Some((c.r, c.g, c.b)),
                _ => None,
            })
            .collect()
    }

    fn unit(c: style::Rgb) -> (f32, f32, f32) {
        c.unit()
    }

    #[test]
    fn cells_are_filled_in_their_level_colour_faint_when_empty() {
        let fonts = Fonts::load().unwrap_or_else(|e| panic!("{e}"));
        for scale in [RiskScale::Five, RiskScale::Three] {
            let mut m = Matrices {
                initial: Matrix::new(scale),
                residual: Matrix::new(scale),
            };
            let n = usize::from(scale.levels());
            // Counts on the diagonal before, one cell after.
            for k in 0..n {
                m.initial.counts[k][k] = k + 1;
            }
            m.residual.counts[0][n - 1] = 3;
            let mut doc = Doc::new(&fonts, (595.0, 842.0));
            doc.ensure(10.0);
            matrices(&mut doc, &m);
            let got = fills(&doc.page.ops);
            let mut want = Vec::new();
            for mx in [&m.initial, &m.residual] {
                for l in 1..=scale.levels() {
                    for i in 1..=scale.levels() {
                        let c = Cell {
                            likelihood: l,
                            impact: i,
                        };
                        let fill = style::severity_color(c.level(scale).severity());
                        want.push(unit(if mx.at(c) == 0 {
                            style::tint(fill, 0.8)
                        } else {
                            fill
                        }));
                    }
                }
            }
            // Then the legend: one swatch per level.
            for l in [
                risk::Level::Critical,
                risk::Level::High,
                risk::Level::Medium,
                risk::Level::Low,
            ] {
                want.push(unit(style::severity_color(l.severity())));
            }
            assert_eq!(got, want, "{scale:?}");
        }
    }
}
