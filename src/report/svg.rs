//! The diagram [`Scene`] as an inline SVG document, for the HTML report.

use super::scene::{Anchor, Item, Scene, Seg};

/// Escapes text for XML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn n(v: f64) -> String {
    let r = (v * 100.0).round() / 100.0;
    if r == 0.0 {
        "0".to_owned()
    } else {
        format!("{r}")
    }
}

fn stroke_attrs(s: &Option<super::scene::Stroke>) -> String {
    match s {
        None => " stroke=\"none\"".to_owned(),
        Some(k) => {
            let mut a = format!(
                " stroke=\"{}\" stroke-width=\"{}\"",
                k.color.hex(),
                n(k.width)
            );
            if let Some((d, g)) = k.dash {
                a.push_str(&format!(" stroke-dasharray=\"{} {}\"", n(d), n(g)));
            }
            a
        }
    }
}

/// An `<svg>` element showing the whole scene, scaled to its container's width.
pub fn render(scene: &Scene, title: &str) -> String {
    let (x0, y0, x1, y1) = scene.bounds;
    let (x0, y0, x1, y1) = (x0 - 12.0, y0 - 12.0, x1 + 12.0, y1 + 12.0);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"{} {} {} {}\" width=\"100%\" role=\"img\" aria-label=\"{}\" \
         font-family=\"DejaVu Sans, Verdana, Arial, sans-serif\">\n<title>{}</title>\n",
        n(x0),
        n(y0),
        n(x1 - x0),
        n(y1 - y0),
        escape(title),
        escape(title)
    );
    for it in &scene.items {
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
                out.push_str(&format!(
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"{}\" fill=\"{}\"{}/>\n",
                    n(*x),
                    n(*y),
                    n(*w),
                    n(*h),
                    n(*radius),
                    fill.map(|f| f.hex()).unwrap_or_else(|| "none".to_owned()),
                    stroke_attrs(stroke)
                ));
            }
            Item::Path {
                segs,
                closed,
                fill,
                stroke,
            } => {
                let mut d = String::new();
                for s in segs {
                    match *s {
                        Seg::Move(p) => d.push_str(&format!("M{} {} ", n(p.0), n(p.1))),
                        Seg::Line(p) => d.push_str(&format!("L{} {} ", n(p.0), n(p.1))),
                        Seg::Cubic(a, b, c) => d.push_str(&format!(
                            "C{} {} {} {} {} {} ",
                            n(a.0),
                            n(a.1),
                            n(b.0),
                            n(b.1),
                            n(c.0),
                            n(c.1)
                        )),
                    }
                }
                if *closed {
                    d.push('Z');
                }
                out.push_str(&format!(
                    "<path d=\"{}\" fill=\"{}\"{}/>\n",
                    d.trim_end(),
                    fill.map(|f| f.hex()).unwrap_or_else(|| "none".to_owned()),
                    stroke_attrs(stroke)
                ));
            }
            Item::Text {
                x,
                y,
                size,
                bold,
                color,
                anchor,
                text,
                ..
            } => {
                out.push_str(&format!(
                    "<text x=\"{}\" y=\"{}\" font-size=\"{}\"{}{} fill=\"{}\">{}</text>\n",
                    n(*x),
                    n(*y),
                    n(*size),
                    if *bold { " font-weight=\"bold\"" } else { "" },
                    if *anchor == Anchor::Middle {
                        " text-anchor=\"middle\""
                    } else {
                        ""
                    },
                    color.hex(),
                    escape(text)
                ));
            }
        }
    }
    out.push_str("</svg>\n");
    out
}
