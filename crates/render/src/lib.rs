//! Court documents rendered to PDF.
//!
//! A [`Document`] is a list of blocks (title, headings, paragraphs, right-aligned lines); it
//! is laid out on A4 pages with the conventions of Chinese court papers (centred title,
//! paragraphs indented by two characters, signature block on the right) and written as PDF
//! with the subset of a CJK font it uses embedded, so Chinese and Latin text display
//! everywhere and can be extracted (the font carries a ToUnicode map).
//!
//! The font comes from the system ([`CjkFont::find`]: Noto Sans/Serif CJK, Source Han,
//! WenQuanYi, Microsoft YaHei, SimSun, PingFang), or from `COURTSIDE_CJK_FONT`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use krilla::geom::Point;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use skrifa::instance::{LocationRef, Size};
use skrifa::raw::FileRef;
use skrifa::raw::TableProvider;
use skrifa::{FontRef, MetadataProvider, string::StringId};

/// Environment variable naming a font file (TTF, OTF or TTC) to use instead of the search.
pub const FONT_ENV: &str = "COURTSIDE_CJK_FONT";

/// What can go wrong rendering.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// No font with Chinese characters was found.
    #[error(
        "no font with Chinese characters was found; install Noto Sans CJK (Debian: fonts-noto-cjk) or set {FONT_ENV} to a font file"
    )]
    NoFont,
    /// The font file cannot be used.
    #[error("the font {0} cannot be used: {1}")]
    BadFont(PathBuf, String),
    /// The PDF writer failed.
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

/// One block of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// The document's title, centred and large.
    Title(String),
    /// A heading (诉讼请求, 事实与理由).
    Heading(String),
    /// A paragraph, first line indented by two characters.
    Paragraph(String),
    /// A line without indent (party details, numbered claims).
    Line(String),
    /// A line aligned right (signature, date).
    Right(String),
    /// Vertical space of one line.
    Space,
}

/// A document to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Title in the PDF's metadata.
    pub title: String,
    /// Content, in order.
    pub blocks: Vec<Block>,
}

/// A font that covers Chinese, loaded into memory.
#[derive(Clone)]
pub struct CjkFont {
    data: Arc<Vec<u8>>,
    index: u32,
    path: PathBuf,
}

impl std::fmt::Debug for CjkFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CjkFont").field("path", &self.path).field("index", &self.index).finish()
    }
}

/// Where fonts with Chinese characters usually are, most preferred first.
const CANDIDATES: &[&str] = &[
    // Linux
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/adobe-source-han-serif/SourceHanSerifSC-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    // Windows
    "C:\\Windows\\Fonts\\simsun.ttc",
    "C:\\Windows\\Fonts\\msyh.ttc",
    "C:\\Windows\\Fonts\\simhei.ttf",
    // macOS
    "/System/Library/Fonts/Supplemental/Songti.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
];

impl CjkFont {
    /// The font named by `COURTSIDE_CJK_FONT`, else the first usable system font.
    ///
    /// # Errors
    /// [`RenderError::NoFont`]; [`RenderError::BadFont`] when the variable names an unusable file.
    pub fn find() -> Result<Self, RenderError> {
        if let Some(path) = std::env::var_os(FONT_ENV).filter(|p| !p.is_empty()) {
            return Self::from_file(Path::new(&path));
        }
        CANDIDATES
            .iter()
            .map(Path::new)
            .filter(|p| p.is_file())
            .find_map(|p| Self::from_file(p).ok())
            .ok_or(RenderError::NoFont)
    }

    /// A font file; in a collection, the face for Simplified Chinese when there is one,
    /// else the first that has Chinese characters.
    ///
    /// # Errors
    /// [`RenderError::BadFont`].
    pub fn from_file(path: &Path) -> Result<Self, RenderError> {
        let bad = |why: &str| RenderError::BadFont(path.to_owned(), why.to_owned());
        let data = std::fs::read(path).map_err(|e| bad(&e.to_string()))?;
        let faces: Vec<FontRef<'_>> = match FileRef::new(&data).map_err(|e| bad(&e.to_string()))? {
            FileRef::Font(f) => vec![f],
            FileRef::Collection(c) => c.iter().filter_map(Result::ok).collect(),
        };
        let covers = |f: &FontRef<'_>| ['中', '法', '院'].iter().all(|&c| f.charmap().map(c).is_some());
        let family = |f: &FontRef<'_>| {
            f.localized_strings(StringId::FAMILY_NAME).english_or_first().map(|s| s.to_string()).unwrap_or_default()
        };
        let chosen = faces
            .iter()
            .position(|f| covers(f) && family(f).contains(" SC"))
            .or_else(|| faces.iter().position(covers))
            .ok_or_else(|| bad("it has no Chinese characters"))?;
        let index = u32::try_from(chosen).map_err(|_| bad("too many faces"))?;
        Ok(Self { data: Arc::new(data), index, path: path.to_owned() })
    }

    /// The file it was read from.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn face(&self) -> Option<FontRef<'_>> {
        FontRef::from_index(&self.data, self.index).ok()
    }
}

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN_X: f32 = 78.0;
const MARGIN_TOP: f32 = 80.0;
const MARGIN_BOTTOM: f32 = 72.0;
const BODY: f32 = 14.0;
const TITLE: f32 = 22.0;
const LEADING: f32 = 1.75;

/// Renders the document as PDF bytes.
///
/// # Errors
/// [`RenderError::BadFont`] when the font cannot be parsed; [`RenderError::Pdf`].
pub fn render_pdf(doc: &Document, font: &CjkFont) -> Result<Vec<u8>, RenderError> {
    let face = font.face().ok_or_else(|| RenderError::BadFont(font.path.clone(), "unreadable face".into()))?;
    let pdf_font = Font::new(krilla::Data::from(font.data.clone()), font.index)
        .ok_or_else(|| RenderError::BadFont(font.path.clone(), "not accepted by the PDF writer".into()))?;
    let measure = Measure { face };
    let lines = layout(doc, &measure);

    let mut pdf = krilla::Document::new();
    pdf.set_metadata(
        Metadata::new().title(doc.title.clone()).language("zh-CN".to_owned()).creator("Courtside".to_owned()),
    );
    let settings = || PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| RenderError::Pdf("page size".into()));
    for page_lines in paginate(&lines) {
        let mut page = pdf.start_page_with(settings()?);
        let mut surface = page.surface();
        for line in page_lines {
            let glyphs = measure.glyphs(&line.text);
            surface.draw_glyphs(
                Point::from_xy(line.x, line.baseline),
                &glyphs,
                pdf_font.clone(),
                &line.text,
                line.size,
                false,
            );
        }
        surface.finish();
        page.finish();
    }
    pdf.finish().map_err(|e| RenderError::Pdf(format!("{e:?}")))
}

/// A positioned line (baseline relative to the page top once paginated).
#[derive(Debug, Clone, PartialEq)]
struct PlacedLine {
    text: String,
    x: f32,
    size: f32,
    /// Vertical position: within the flow before pagination, on the page after.
    baseline: f32,
    /// Height the line takes.
    height: f32,
}

struct Measure<'a> {
    face: FontRef<'a>,
}

impl Measure<'_> {
    /// One glyph per character with the font's advance (Chinese and Latin court text needs
    /// no shaping beyond that: no ligatures, no right-to-left runs). Each glyph maps back to
    /// its character, which is what makes the text extractable.
    fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
        let upem = f32::from(self.face.head().map_or(1000, |h| h.units_per_em()));
        let metrics = self.face.glyph_metrics(Size::unscaled(), LocationRef::default());
        let charmap = self.face.charmap();
        text.char_indices()
            .map(|(at, c)| {
                let gid = charmap.map(c).unwrap_or_default();
                let advance = metrics.advance_width(gid).unwrap_or(upem / 2.0) / upem;
                KrillaGlyph::new(GlyphId::new(gid.to_u32()), advance, 0.0, 0.0, 0.0, at..at + c.len_utf8(), None)
            })
            .collect()
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        let metrics = self.face.glyph_metrics(Size::new(size), LocationRef::default());
        let charmap = self.face.charmap();
        text.chars().map(|c| charmap.map(c).and_then(|g| metrics.advance_width(g)).unwrap_or(size * 0.5)).sum()
    }
}

fn layout(doc: &Document, m: &Measure<'_>) -> Vec<PlacedLine> {
    let width = PAGE_W - 2.0 * MARGIN_X;
    let mut out = Vec::new();
    let push = |out: &mut Vec<PlacedLine>, text: String, x: f32, size: f32| {
        out.push(PlacedLine { text, x, size, baseline: 0.0, height: size * LEADING });
    };
    for block in &doc.blocks {
        match block {
            Block::Title(t) => {
                for line in wrap(t, width, TITLE, 0.0, m) {
                    let x = MARGIN_X + (width - m.width(&line, TITLE)).max(0.0) / 2.0;
                    push(&mut out, line, x, TITLE);
                }
                out.push(PlacedLine { text: String::new(), x: 0.0, size: BODY, baseline: 0.0, height: BODY });
            }
            Block::Heading(t) | Block::Line(t) => {
                for line in wrap(t, width, BODY, 0.0, m) {
                    push(&mut out, line, MARGIN_X, BODY);
                }
            }
            Block::Paragraph(t) => {
                for (i, line) in wrap(t, width, BODY, 2.0 * BODY, m).into_iter().enumerate() {
                    push(&mut out, line, MARGIN_X + if i == 0 { 2.0 * BODY } else { 0.0 }, BODY);
                }
            }
            Block::Right(t) => {
                for line in wrap(t, width, BODY, 0.0, m) {
                    let x = MARGIN_X + (width - m.width(&line, BODY)).max(0.0);
                    push(&mut out, line, x, BODY);
                }
            }
            Block::Space => push(&mut out, String::new(), MARGIN_X, BODY),
        }
    }
    out
}

/// Splits text into lines no wider than `width` (the first line `indent` narrower). Lines
/// break between any two CJK characters and at spaces; a Latin word or number is kept whole
/// unless it alone is wider than a line. Explicit newlines are kept.
fn wrap(text: &str, width: f32, size: f32, indent: f32, m: &Measure<'_>) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut avail = if lines.is_empty() { width - indent } else { width };
        for token in tokens(para) {
            let candidate = format!("{line}{token}");
            if line.is_empty() || m.width(&candidate, size) <= avail {
                line = candidate;
            } else {
                lines.push(line.trim_end().to_owned());
                avail = width;
                line = token.trim_start().to_owned();
            }
            // A single token wider than the line is cut by characters.
            while m.width(&line, size) > avail && line.chars().count() > 1 {
                let mut head = String::new();
                for c in line.chars() {
                    if !head.is_empty() && m.width(&format!("{head}{c}"), size) > avail {
                        break;
                    }
                    head.push(c);
                }
                line = line[head.len()..].to_owned();
                lines.push(head);
                avail = width;
            }
        }
        lines.push(line.trim_end().to_owned());
    }
    lines
}

/// Break opportunities: each CJK character alone, runs of other non-space characters, and
/// each space attached to what follows.
fn tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if is_cjk(c) || c.is_whitespace() {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            out.push(c.to_string());
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    // Closing punctuation stays with the character before it.
    let mut merged: Vec<String> = Vec::with_capacity(out.len());
    for t in out {
        let closing = t.chars().next().is_some_and(|c| "，。、；：？！）》」』”’".contains(c));
        match merged.last_mut() {
            Some(prev) if closing => prev.push_str(&t),
            _ => merged.push(t),
        }
    }
    merged
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF)
}

fn paginate(lines: &[PlacedLine]) -> Vec<Vec<PlacedLine>> {
    let mut pages: Vec<Vec<PlacedLine>> = vec![Vec::new()];
    let mut y = MARGIN_TOP;
    for line in lines {
        if y + line.height > PAGE_H - MARGIN_BOTTOM && pages.last().is_some_and(|p| !p.is_empty()) {
            pages.push(Vec::new());
            y = MARGIN_TOP;
        }
        let mut placed = line.clone();
        placed.baseline = y + line.size;
        y += line.height;
        if let Some(page) = pages.last_mut()
            && !placed.text.is_empty()
        {
            page.push(placed);
        }
    }
    pages
}

#[cfg(test)]
mod tests {
    use super::*;

    fn font() -> Option<CjkFont> {
        Some(CjkFont::find().expect("the render tests need a CJK font (Debian: fonts-noto-cjk)"))
    }

    #[test]
    fn tokens_keep_latin_words_and_punctuation_together() {
        assert_eq!(tokens("原告张三，Acme Ltd."), vec!["原", "告", "张", "三，", "Acme", " ", "Ltd."]);
    }

    #[test]
    fn wrapped_lines_fit_and_lose_no_character() {
        let Some(font) = font() else { return };
        let m = Measure { face: font.face().unwrap() };
        let text = "被告应向原告支付货款人民币150000元及逾期付款利息（以150000元为基数，自2025年3月5日起按全国银行间同业拆借中心公布的一年期贷款市场报价利率计算至实际清偿之日止）。Supercalifragilisticexpialidocious-is-a-very-long-token-indeed-1234567890";
        let lines = wrap(text, 300.0, BODY, 28.0, &m);
        assert!(lines.len() > 3);
        for (i, l) in lines.iter().enumerate() {
            let avail = if i == 0 { 272.0 } else { 300.0 };
            assert!(m.width(l, BODY) <= avail + 0.01, "line {i} too wide: {l}");
        }
        let joined: String = lines.concat().split_whitespace().collect();
        let expected: String = text.split_whitespace().collect();
        assert_eq!(joined, expected);
    }

    #[test]
    fn long_documents_flow_onto_more_pages() {
        let Some(font) = font() else { return };
        let m = Measure { face: font.face().unwrap() };
        let doc = Document {
            title: "t".into(),
            blocks: (0..120).map(|i| Block::Paragraph(format!("第{i}段。"))).collect(),
        };
        let pages = paginate(&layout(&doc, &m));
        assert!(pages.len() >= 3, "{} pages", pages.len());
        for page in &pages {
            for l in page {
                assert!(l.baseline <= PAGE_H - MARGIN_BOTTOM + BODY && l.baseline >= MARGIN_TOP);
            }
        }
    }
}
