//! A small page-flow layout engine on top of printpdf's drawing operations: pages with a
//! cursor measured from the top, wrapped paragraphs, tables that continue across pages
//! with their header repeated, and a footer added once the page count is known.

use crate::report::fonts::{Face, Fonts};
use crate::report::style::{self, Rgb};
use crate::report::table::{Span, Table, Tone};
use printpdf::{
    Color, FontId, Line, LineDashPattern, LinePoint, Op, PaintMode, PdfFontHandle, Point, Polygon,
    PolygonRing, Pt, TextItem, TextMatrix, WindingOrder,
};

/// Page margin, in points.
pub const MARGIN: f64 = 48.0;
/// Space reserved at the bottom for the footer.
pub const FOOTER: f64 = 26.0;
/// Body text size.
pub const BODY: f64 = 9.0;
/// Width of the bullet column of [`Doc::bullets`].
const BULLET_W: f64 = 9.0;

/// One finished or in-progress page.
pub struct Page {
    /// Width in points.
    pub w: f64,
    /// Height in points.
    pub h: f64,
    /// Drawing operations.
    pub ops: Vec<Op>,
}

fn color(c: Rgb) -> Color {
    let (r, g, b) = c.unit();
    Color::Rgb(printpdf::Rgb::new(r, g, b, None))
}

fn pt(x: f64, y: f64) -> LinePoint {
    LinePoint {
        p: Point {
            x: Pt(x as f32),
            y: Pt(y as f32),
        },
        bezier: false,
    }
}

fn ctrl(x: f64, y: f64) -> LinePoint {
    LinePoint {
        p: Point {
            x: Pt(x as f32),
            y: Pt(y as f32),
        },
        bezier: true,
    }
}

/// A path segment in page coordinates, y from the top.
#[derive(Clone, Copy, Debug)]
pub enum PSeg {
    /// Start.
    Move(f64, f64),
    /// Line to.
    Line(f64, f64),
    /// Cubic to: control 1, control 2, end.
    Cubic((f64, f64), (f64, f64), (f64, f64)),
}

impl Page {
    /// A blank page.
    pub fn new(w: f64, h: f64) -> Page {
        Page {
            w,
            h,
            ops: Vec::new(),
        }
    }

    fn y(&self, y_top: f64) -> f64 {
        self.h - y_top
    }

    fn points(&self, segs: &[PSeg]) -> Vec<Vec<LinePoint>> {
        let mut rings: Vec<Vec<LinePoint>> = Vec::new();
        for s in segs {
            match *s {
                PSeg::Move(x, y) => rings.push(vec![pt(x, self.y(y))]),
                PSeg::Line(x, y) => {
                    if rings.is_empty() {
                        rings.push(Vec::new());
                    }
                    if let Some(r) = rings.last_mut() {
                        r.push(pt(x, self.y(y)));
                    }
                }
                PSeg::Cubic(a, b, c) => {
                    if rings.is_empty() {
                        rings.push(Vec::new());
                    }
                    let (a, b, c) = ((a.0, self.y(a.1)), (b.0, self.y(b.1)), (c.0, self.y(c.1)));
                    if let Some(r) = rings.last_mut() {
                        r.push(ctrl(a.0, a.1));
                        r.push(ctrl(b.0, b.1));
                        r.push(pt(c.0, c.1));
                    }
                }
            }
        }
        rings
    }

    /// Fills and/or strokes a path. `dash` applies to the stroke only.
    pub fn path(
        &mut self,
        segs: &[PSeg],
        closed: bool,
        fill: Option<Rgb>,
        stroke: Option<(Rgb, f64)>,
        dash: Option<(f64, f64)>,
    ) {
        if fill.is_none() && stroke.is_none() {
            return;
        }
        let rings = self.points(segs);
        if let Some((c, w)) = stroke {
            self.ops.push(Op::SetOutlineColor { col: color(c) });
            self.ops.push(Op::SetOutlineThickness { pt: Pt(w as f32) });
        }
        if let Some(c) = fill {
            self.ops.push(Op::SetFillColor { col: color(c) });
        }
        if let Some((a, b)) = dash {
            self.ops.push(Op::SetLineDashPattern {
                dash: LineDashPattern::new(0.0, &[a as f32, b as f32]),
            });
        }
        if closed || fill.is_some() {
            let mode = match (fill.is_some(), stroke.is_some()) {
                (true, true) => PaintMode::FillStroke,
                (true, false) => PaintMode::Fill,
                _ => PaintMode::Stroke,
            };
            self.ops.push(Op::DrawPolygon {
                polygon: Polygon {
                    rings: rings
                        .into_iter()
                        .map(|points| PolygonRing { points })
                        .collect(),
                    mode,
                    winding_order: WindingOrder::NonZero,
                },
            });
        } else {
            for points in rings {
                self.ops.push(Op::DrawLine {
                    line: Line {
                        points,
                        is_closed: false,
                    },
                });
            }
        }
        if dash.is_some() {
            self.ops.push(Op::SetLineDashPattern {
                dash: LineDashPattern::solid(),
            });
        }
    }

    /// Clips everything drawn after it (until [`Page::restore`]) to a rectangle.
    pub fn clip(&mut self, x: f64, y: f64, w: f64, h: f64) {
        self.ops.push(Op::SaveGraphicsState);
        let rings = self.points(&rect_segs(x, y, w, h, 0.0));
        self.ops.push(Op::DrawPolygon {
            polygon: Polygon {
                rings: rings
                    .into_iter()
                    .map(|points| PolygonRing { points })
                    .collect(),
                mode: PaintMode::Clip,
                winding_order: WindingOrder::NonZero,
            },
        });
    }

    /// Ends a [`Page::clip`].
    pub fn restore(&mut self) {
        self.ops.push(Op::RestoreGraphicsState);
    }

    /// A filled rectangle, optionally rounded.
    pub fn fill_rect(&mut self, x: f64, y: f64, w: f64, h: f64, radius: f64, c: Rgb) {
        self.path(&rect_segs(x, y, w, h, radius), true, Some(c), None, None);
    }

    /// A straight line.
    pub fn line(&mut self, x0: f64, y0: f64, x1: f64, y1: f64, c: Rgb, width: f64) {
        self.path(
            &[PSeg::Move(x0, y0), PSeg::Line(x1, y1)],
            false,
            None,
            Some((c, width)),
            None,
        );
    }

    /// One line of text with its left end at `x` and its baseline at `y` (from the top).
    #[allow(clippy::too_many_arguments)]
    pub fn text(&mut self, fonts: &Fonts, x: f64, y: f64, size: f64, bold: bool, c: Rgb, s: &str) {
        if s.is_empty() {
            return;
        }
        let by = self.y(y);
        self.ops.push(Op::StartTextSection);
        self.ops.push(Op::SetFillColor { col: color(c) });
        let mut cx = x;
        let mut last_face: Option<Face> = None;
        for run in fonts.runs(s, size, bold) {
            if last_face != Some(run.face) {
                self.ops.push(Op::SetFont {
                    font: PdfFontHandle::External(FontId(run.face.resource().to_owned())),
                    size: Pt(size as f32),
                });
                last_face = Some(run.face);
            }
            self.ops.push(Op::SetTextMatrix {
                matrix: TextMatrix::Translate(Pt(cx as f32), Pt(by as f32)),
            });
            self.ops.push(Op::ShowText {
                items: vec![TextItem::Text(run.text)],
            });
            cx += run.width;
        }
        self.ops.push(Op::EndTextSection);
    }
}

/// The segments of a rectangle (rounded when `r > 0`), y from the top.
pub fn rect_segs(x: f64, y: f64, w: f64, h: f64, r: f64) -> Vec<PSeg> {
    let r = r.min(w / 2.0).min(h / 2.0).max(0.0);
    if r <= 0.0 {
        return vec![
            PSeg::Move(x, y),
            PSeg::Line(x + w, y),
            PSeg::Line(x + w, y + h),
            PSeg::Line(x, y + h),
        ];
    }
    let k = 0.552_284_8 * r;
    vec![
        PSeg::Move(x + r, y),
        PSeg::Line(x + w - r, y),
        PSeg::Cubic((x + w - r + k, y), (x + w, y + r - k), (x + w, y + r)),
        PSeg::Line(x + w, y + h - r),
        PSeg::Cubic(
            (x + w, y + h - r + k),
            (x + w - r + k, y + h),
            (x + w - r, y + h),
        ),
        PSeg::Line(x + r, y + h),
        PSeg::Cubic((x + r - k, y + h), (x, y + h - r + k), (x, y + h - r)),
        PSeg::Line(x, y + r),
        PSeg::Cubic((x, y + r - k), (x + r - k, y), (x + r, y)),
    ]
}

/// A table column as laid out.
#[derive(Clone, Debug)]
struct Col {
    /// Header text.
    pub title: String,
    /// Share of the table width.
    pub weight: f64,
}

/// A table cell as drawn: one style for its whole text.
#[derive(Clone, Debug, Default)]
struct Cell {
    /// Text (wrapped to the column).
    pub text: String,
    /// Bold.
    pub bold: bool,
    /// A coloured chip behind the text: (fill, text colour).
    pub chip: Option<(Rgb, Rgb)>,
    /// Muted colour.
    pub muted: bool,
}

impl Cell {
    /// Text on a coloured chip.
    fn chip(s: impl Into<String>, fill: Rgb, fg: Rgb) -> Cell {
        Cell {
            text: s.into(),
            chip: Some((fill, fg)),
            ..Cell::default()
        }
    }

    /// How the PDF draws a cell of a [`Table`]: a lone severity (or error / warning
    /// level) on its chip; spans all bold or all grey in that style; anything else in
    /// the column's tone. Code is plain text; breaks are new lines.
    fn of(cell: &[Span], tone: Tone) -> Cell {
        use crate::diag::Level;
        use crate::model::Severity;
        match cell {
            [Span::Severity(s)] => {
                return Cell::chip(
                    s.label(),
                    style::severity_color(*s),
                    style::severity_text(*s),
                );
            }
            [Span::Level(Level::Error)] => {
                return Cell::chip(
                    "error",
                    style::severity_color(Severity::Critical),
                    style::WHITE,
                );
            }
            [Span::Level(Level::Warning)] => {
                return Cell::chip(
                    "warning",
                    style::severity_color(Severity::Medium),
                    style::TEXT,
                );
            }
            _ => {}
        }
        let text: String = cell.iter().map(Span::line_text).collect();
        let styled: Vec<&Span> = cell
            .iter()
            .filter(|s| !matches!(s, Span::Break | Span::ItemBreak))
            .collect();
        let all = |f: fn(&&Span) -> bool| !styled.is_empty() && styled.iter().all(f);
        let tone = if all(|s| matches!(s, Span::Strong(_))) {
            Tone::Strong
        } else if all(|s| matches!(s, Span::Muted(_))) {
            Tone::Muted
        } else {
            tone
        };
        Cell {
            text,
            bold: tone == Tone::Strong,
            muted: tone == Tone::Muted,
            chip: None,
        }
    }
}

/// What to redraw at the top of a continuation page.
#[derive(Clone, Debug)]
enum Repeat {
    /// A table header.
    Table(Vec<Col>, f64),
    /// A group title.
    Title(String),
}

/// The document being laid out.
pub struct Doc<'f> {
    /// Fonts for measuring and drawing.
    pub fonts: &'f Fonts,
    /// Portrait page size.
    pub size: (f64, f64),
    /// Finished pages.
    pub pages: Vec<Page>,
    /// The current page.
    pub page: Page,
    /// Cursor from the top of the current page.
    pub y: f64,
    /// Outline entries: (title, 1-based page).
    pub bookmarks: Vec<(String, usize)>,
    repeat: Vec<Repeat>,
    started: bool,
}

impl<'f> Doc<'f> {
    /// An empty document of that page size (points, portrait).
    pub fn new(fonts: &'f Fonts, size: (f64, f64)) -> Doc<'f> {
        Doc {
            fonts,
            size,
            pages: Vec::new(),
            page: Page::new(size.0, size.1),
            y: MARGIN,
            bookmarks: Vec::new(),
            repeat: Vec::new(),
            started: false,
        }
    }

    /// Usable width of the current page.
    pub fn width(&self) -> f64 {
        self.page.w - 2.0 * MARGIN
    }

    /// The bottom of the usable area of the current page.
    pub fn bottom(&self) -> f64 {
        self.page.h - MARGIN - FOOTER
    }

    /// The 1-based number of the current page.
    pub fn page_no(&self) -> usize {
        self.pages.len() + 1
    }

    /// Starts a new page of the given size (portrait size when `None`), keeping any
    /// repeated headers.
    pub fn new_page_sized(&mut self, size: Option<(f64, f64)>) {
        let (w, h) = size.unwrap_or(self.size);
        if self.started {
            let done = std::mem::replace(&mut self.page, Page::new(w, h));
            self.pages.push(done);
        } else {
            self.page = Page::new(w, h);
        }
        self.started = true;
        self.y = MARGIN;
        let repeats = self.repeat.clone();
        for r in repeats {
            match r {
                Repeat::Title(t) => {
                    let t = format!("{t} (continued)");
                    self.page.text(
                        self.fonts,
                        MARGIN,
                        self.y + 9.0,
                        9.5,
                        true,
                        style::MUTED,
                        &t,
                    );
                    self.y += 16.0;
                }
                Repeat::Table(cols, width) => self.table_header(&cols, width),
            }
        }
    }

    /// Starts a new portrait page.
    pub fn new_page(&mut self) {
        self.new_page_sized(None);
    }

    /// Makes sure `h` points fit below the cursor, else starts a new page.
    pub fn ensure(&mut self, h: f64) {
        if !self.started || self.y + h > self.bottom() {
            self.new_page();
        }
    }

    /// Adds vertical space (never across a page break).
    pub fn gap(&mut self, h: f64) {
        self.y = (self.y + h).min(self.bottom());
    }

    /// Records an outline entry for the current page.
    pub fn bookmark(&mut self, title: &str) {
        let n = self.page_no();
        self.bookmarks.push((title.to_owned(), n));
    }

    /// A section heading (level 1 starts a new page).
    pub fn heading(&mut self, level: u8, text: &str) {
        let (size, before, after) = match level {
            1 => (17.0, 0.0, 10.0),
            2 => (12.5, 10.0, 5.0),
            _ => (10.5, 6.0, 3.0),
        };
        if level == 1 {
            self.new_page();
        } else {
            self.ensure(before + size * 1.3 + after + 40.0);
            if self.y > MARGIN + 1.0 {
                self.y += before;
            }
        }
        if level <= 2 {
            self.bookmark(text);
        }
        let lines = self.fonts.wrap(text, size, true, self.width());
        let c = if level == 1 {
            style::ACCENT
        } else {
            style::TEXT
        };
        for l in lines {
            self.page
                .text(self.fonts, MARGIN, self.y + size, size, true, c, &l);
            self.y += size * 1.3;
        }
        if level == 1 {
            let y = self.y + 2.0;
            self.page
                .line(MARGIN, y, MARGIN + self.width(), y, style::ACCENT, 0.8);
            self.y += 4.0;
        }
        self.y += after;
    }

    /// A wrapped paragraph at `indent` from the margin.
    pub fn para(&mut self, text: &str, size: f64, bold: bool, c: Rgb, indent: f64) {
        let lh = size * 1.35;
        let lines = self.fonts.wrap(text, size, bold, self.width() - indent);
        for l in lines {
            self.ensure(lh);
            self.page.text(
                self.fonts,
                MARGIN + indent,
                self.y + size,
                size,
                bold,
                c,
                &l,
            );
            self.y += lh;
        }
    }

    /// The height [`Doc::para`] would take.
    pub fn para_height(&self, text: &str, size: f64, bold: bool, indent: f64) -> f64 {
        self.fonts
            .wrap(text, size, bold, self.width() - indent)
            .len() as f64
            * size
            * 1.35
    }

    /// The height [`Doc::field`] would take.
    pub fn field_height(&self, value: &str, label_w: f64, indent: f64) -> f64 {
        let n = self
            .fonts
            .wrap(value, BODY, false, self.width() - indent - label_w)
            .len();
        n as f64 * BODY * 1.3
    }

    /// The height [`Doc::bullets`] would take.
    pub fn bullets_height(&self, items: &[String], label_w: f64, indent: f64) -> f64 {
        let max = self.width() - indent - label_w - BULLET_W;
        let n: usize = items
            .iter()
            .map(|i| self.fonts.wrap(i, BODY, false, max).len())
            .sum();
        n as f64 * BODY * 1.35
    }

    /// A label in a left column and a wrapped value beside it; lines break across pages.
    pub fn field(&mut self, label: &str, value: &str, label_w: f64, indent: f64) {
        let size = BODY;
        let lh = size * 1.3;
        let lines = self
            .fonts
            .wrap(value, size, false, self.width() - indent - label_w);
        for (i, l) in lines.iter().enumerate() {
            self.ensure(lh);
            if i == 0 {
                self.page.text(
                    self.fonts,
                    MARGIN + indent,
                    self.y + size,
                    size - 0.5,
                    true,
                    style::MUTED,
                    label,
                );
            }
            self.page.text(
                self.fonts,
                MARGIN + indent + label_w,
                self.y + size,
                size,
                false,
                style::TEXT,
                l,
            );
            self.y += lh;
        }
    }

    /// A bulleted list beside a label.
    pub fn bullets(&mut self, label: &str, items: &[String], label_w: f64, indent: f64) {
        let size = BODY;
        let lh = size * 1.35;
        let bullet_w = BULLET_W;
        for (i, item) in items.iter().enumerate() {
            let lines = self.fonts.wrap(
                item,
                size,
                false,
                self.width() - indent - label_w - bullet_w,
            );
            for (j, l) in lines.iter().enumerate() {
                self.ensure(lh);
                if i == 0 && j == 0 {
                    self.page.text(
                        self.fonts,
                        MARGIN + indent,
                        self.y + size,
                        size - 0.5,
                        true,
                        style::MUTED,
                        label,
                    );
                }
                if j == 0 {
                    self.page.text(
                        self.fonts,
                        MARGIN + indent + label_w,
                        self.y + size,
                        size,
                        false,
                        style::MUTED,
                        "•",
                    );
                }
                self.page.text(
                    self.fonts,
                    MARGIN + indent + label_w + bullet_w,
                    self.y + size,
                    size,
                    false,
                    style::TEXT,
                    l,
                );
                self.y += lh;
            }
        }
    }

    /// Repeats a title at the top of continuation pages until [`Doc::pop_repeat`].
    pub fn push_repeat_title(&mut self, title: &str) {
        self.repeat.push(Repeat::Title(title.to_owned()));
    }

    /// Stops the innermost repeated header.
    pub fn pop_repeat(&mut self) {
        self.repeat.pop();
    }

    fn col_widths(cols: &[Col], width: f64) -> Vec<f64> {
        let total: f64 = cols.iter().map(|c| c.weight).sum::<f64>().max(1e-6);
        cols.iter().map(|c| width * c.weight / total).collect()
    }

    fn table_header(&mut self, cols: &[Col], width: f64) {
        let size = BODY - 0.5;
        let pad = 4.0;
        let ws = Self::col_widths(cols, width);
        let wrapped: Vec<Vec<String>> = cols
            .iter()
            .zip(&ws)
            .map(|(c, w)| self.fonts.wrap(&c.title, size, true, w - 2.0 * pad))
            .collect();
        let n = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        let h = n as f64 * size * 1.3 + 2.0 * pad;
        self.page
            .fill_rect(MARGIN, self.y, width, h, 0.0, style::HEADER_BG);
        let mut x = MARGIN;
        for (lines, w) in wrapped.iter().zip(&ws) {
            for (i, l) in lines.iter().enumerate() {
                let y = self.y + pad + size + i as f64 * size * 1.3;
                self.page
                    .text(self.fonts, x + pad, y, size, true, style::TEXT, l);
            }
            x += w;
        }
        self.y += h;
    }

    /// Draws a report [`Table`] (see [`crate::report::table`]): its message when it has no rows and
    /// one, else its header and rows at the columns' weights.
    pub fn render_table(&mut self, t: &Table) {
        if let (true, Some(msg)) = (t.rows.is_empty(), t.empty) {
            self.para(msg, BODY, false, style::MUTED, 0.0);
            return;
        }
        let cols: Vec<Col> = t
            .columns
            .iter()
            .map(|c| Col {
                title: c.title.to_owned(),
                weight: c.weight,
            })
            .collect();
        let rows: Vec<Vec<Cell>> = t
            .rows
            .iter()
            .map(|r| {
                r.iter()
                    .zip(&t.columns)
                    .map(|(cell, c)| Cell::of(cell, c.tone))
                    .collect()
            })
            .collect();
        self.table(&cols, &rows);
    }

    /// A table with wrapped cells. Rows move to the next page when they do not fit (and
    /// split between lines when a single row is taller than a page); the header is
    /// repeated on every page the table spans.
    fn table(&mut self, cols: &[Col], rows: &[Vec<Cell>]) {
        let width = self.width();
        let size = BODY;
        let lh = size * 1.3;
        let pad = 3.5;
        let ws = Self::col_widths(cols, width);
        self.ensure(lh * 3.0 + 2.0 * pad + 20.0);
        self.table_header(cols, width);
        self.repeat.push(Repeat::Table(cols.to_vec(), width));
        for (ri, row) in rows.iter().enumerate() {
            let wrapped: Vec<Vec<String>> = row
                .iter()
                .zip(&ws)
                .map(|(c, w)| {
                    let inner = if c.chip.is_some() {
                        w - 2.0 * pad - 6.0
                    } else {
                        w - 2.0 * pad
                    };
                    self.fonts.wrap(&c.text, size, c.bold, inner.max(10.0))
                })
                .collect();
            let n = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let mut start = 0;
            let mut just_broke = false;
            while start < n {
                let room = ((self.bottom() - self.y - 2.0 * pad) / lh).floor().max(0.0) as usize;
                let fits_whole_page =
                    (n - start) as f64 * lh + 2.0 * pad <= self.bottom() - MARGIN - 60.0;
                if !just_broke && room < n - start && (fits_whole_page || room < 2) {
                    self.new_page();
                    just_broke = true;
                    continue;
                }
                just_broke = false;
                let take = room.min(n - start).max(1);
                let h = take as f64 * lh + 2.0 * pad;
                if ri % 2 == 1 {
                    self.page
                        .fill_rect(MARGIN, self.y, width, h, 0.0, style::STRIPE);
                }
                let mut x = MARGIN;
                for ((cell, lines), w) in row.iter().zip(&wrapped).zip(&ws) {
                    let end = (start + take).min(lines.len());
                    let visible = lines.get(start..end).unwrap_or(&[]);
                    if let Some((fill, fg)) = cell.chip {
                        if !visible.is_empty() {
                            let tw = visible
                                .iter()
                                .map(|l| self.fonts.width(l, size, cell.bold))
                                .fold(0.0, f64::max);
                            let ch = visible.len() as f64 * lh;
                            self.page.fill_rect(
                                x + pad - 1.0,
                                self.y + pad - 1.0,
                                tw + 8.0,
                                ch + 1.0,
                                3.0,
                                fill,
                            );
                            for (i, l) in visible.iter().enumerate() {
                                let y = self.y + pad + size + i as f64 * lh - 1.0;
                                self.page
                                    .text(self.fonts, x + pad + 3.0, y, size, true, fg, l);
                            }
                        }
                    } else {
                        let c = if cell.muted {
                            style::MUTED
                        } else {
                            style::TEXT
                        };
                        for (i, l) in visible.iter().enumerate() {
                            let y = self.y + pad + size + i as f64 * lh - 1.0;
                            self.page
                                .text(self.fonts, x + pad, y, size, cell.bold, c, l);
                        }
                    }
                    x += w;
                }
                self.y += h;
                self.page
                    .line(MARGIN, self.y, MARGIN + width, self.y, style::RULE, 0.4);
                start += take;
            }
        }
        self.repeat.pop();
        self.y += 8.0;
    }

    /// Closes the last page and returns all pages.
    pub fn finish(mut self) -> (Vec<Page>, Vec<(String, usize)>) {
        if self.started {
            self.pages.push(self.page);
        }
        (self.pages, self.bookmarks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Level;
    use crate::model::Severity;

    /// A table cell is drawn in the style its spans say, else in its column's tone.
    #[test]
    fn cells_take_their_spans_style_else_the_columns() {
        let c = Cell::of(&[Span::Severity(Severity::High)], Tone::Plain);
        assert_eq!(c.text, "High");
        assert_eq!(
            c.chip,
            Some((
                style::severity_color(Severity::High),
                style::severity_text(Severity::High)
            ))
        );
        let c = Cell::of(&[Span::Level(Level::Error)], Tone::Plain);
        assert_eq!((c.text.as_str(), c.chip.is_some()), ("error", true));
        let c = Cell::of(&[Span::Level(Level::Info)], Tone::Muted);
        assert_eq!((c.text.as_str(), c.chip, c.muted), ("info", None, true));
        let titled = [
            Span::Text("Title".into()),
            Span::Break,
            Span::Code("id".into()),
        ];
        let c = Cell::of(&titled, Tone::Plain);
        assert_eq!(
            (c.text.as_str(), c.bold, c.muted),
            ("Title\nid", false, false)
        );
        let c = Cell::of(&[Span::Strong("7".into())], Tone::Muted);
        assert!(c.bold && !c.muted);
        let c = Cell::of(&[Span::Code("R-1".into())], Tone::Strong);
        assert!(c.bold);
        let list = [
            Span::Code("a".into()),
            Span::Text(" = 1".into()),
            Span::ItemBreak,
            Span::Code("b".into()),
            Span::Text(" = 2".into()),
        ];
        assert_eq!(Cell::of(&list, Tone::Plain).text, "a = 1\nb = 2");
        let mixed = [Span::Text("x ".into()), Span::Muted("(old)".into())];
        let c = Cell::of(&mixed, Tone::Plain);
        assert!(!c.bold && !c.muted);
        assert_eq!(Cell::of(&[], Tone::Muted).text, "");
    }
}
