"""Captions from files and the API, and the ``overlays:`` template section end to end."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

import clipkit as ck
from clipkit.errors import ClipkitError, MediaError, ParameterError, TemplateError
from clipkit.frame import Frame
from clipkit.nodes import FrameTime, RenderContext
from clipkit.overlays import Captions, Cue, Sticker, Text, load_cues
from clipkit.overlays.layer import SAFE_AREA
from clipkit.template.loader import load_template

CTX = RenderContext(width=270, height=480, fps=Fraction(30))

SRT = "1\n00:00:00,500 --> 00:00:01,500\nHello <i>there</i>\n\n2\n00:00:01,500 --> 00:00:02,500\nสวัสดี\nครับ\n"
VTT = "WEBVTT\n\n00:00.500 --> 00:01.500\nHello there\n\n00:01.500 --> 00:02.500\nمرحبا\n"
ASS = """[Script Info]
ScriptType: v4.00+

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,2,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:00.50,0:00:02.50,Default,,0,0,0,,{\\k50}Sing {\\k30}a{\\k20}long {\\k100}song
Comment: 0,0:00:02.50,0:00:03.00,Default,,0,0,0,,not shown
Dialogue: 0,0:00:02.50,0:00:03.00,Default,,0,0,0,,{\\b1}Bold{\\b0}\\Nnext
"""


def _t(local_t: float, duration: float = 4.0) -> FrameTime:
    return FrameTime(index=int(local_t * 30), t=local_t, local_index=int(local_t * 30), local_t=local_t, duration=duration)


@pytest.fixture
def subs(tmp_path: Path) -> Path:
    for name, text in (("a.srt", SRT), ("a.vtt", VTT), ("a.ass", ASS)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_subtitle_formats_load(subs: Path) -> None:
    srt = load_cues(subs / "a.srt")
    assert [(c.start, c.end, c.text) for c in srt] == [(0.5, 1.5, "Hello there"), (1.5, 2.5, "สวัสดี\nครับ")]
    vtt = load_cues(subs / "a.vtt")
    assert [c.text for c in vtt] == ["Hello there", "مرحبا"]
    ass = load_cues(subs / "a.ass")
    assert [c.text for c in ass] == ["Sing along song", "Bold\nnext"]
    # karaoke syllables "a" + "long" form one word
    assert np.allclose(ass[0].words, [(0.5, 1.0), (1.0, 1.5), (1.5, 2.5)])
    with pytest.raises(MediaError, match="does not exist"):
        load_cues(subs / "missing.srt")
    (subs / "bad.srt").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(MediaError, match="bad.srt"):
        load_cues(subs / "bad.srt")


# the shape of YouTube's automatic captions (as downloaded by yt-dlp and others): a blank
# first line, inline word timestamps in <c> spans, rolling cues that repeat the line before
YOUTUBE_VTT = """WEBVTT
Kind: captions
Language: en

00:00:00.160 --> 00:00:02.270 align:start position:0%
 
so<00:00:00.480><c> today</c><00:00:00.800><c> we're</c><00:00:01.120><c> going</c>

00:00:02.270 --> 00:00:02.280 align:start position:0%
so today we're going
 

00:00:02.280 --> 00:00:04.630 align:start position:0%
so today we're going
to<00:00:02.600><c> cook</c><00:00:03.000><c> pasta</c>

NOTE a comment block, not a cue

STYLE
::cue { color: yellow }

00:00:05.000 --> 00:00:06.500
<v Roger Bingham><i>We are in</i> <c.loud>New York</c>
&amp; it&#39;s &lt;great&gt; Q&A
"""


def test_webvtt_as_real_files_are(tmp_path: Path) -> None:
    """Inline timestamps become word timings (they used to stay in the text, and pysubs2
    read the line after one as a cue of its own); NOTE and STYLE blocks are not cues;
    spans are dropped and character references decoded (in SRT files too)."""
    path = tmp_path / "auto.en.vtt"
    path.write_text(YOUTUBE_VTT, encoding="utf-8")
    cues = load_cues(path)
    assert [(c.start, c.end, c.text) for c in cues] == [
        (0.16, 2.27, "so today we're going"),
        (2.27, 2.28, "so today we're going"),
        (2.28, 4.63, "so today we're going\nto cook pasta"),
        (5.0, 6.5, "We are in New York\n& it's <great> Q&A"),
    ]
    assert cues[0].words == ((0.16, 0.48), (0.48, 0.8), (0.8, 1.12), (1.12, 2.27))
    # the repeated line starts and ends with the cue (never the word being spoken)
    assert cues[2].words == ((2.28, 2.28),) * 4 + ((2.28, 2.6), (2.6, 3.0), (3.0, 4.63))
    assert cues[1].words is None and cues[3].words is None
    srt = tmp_path / "entities.srt"
    srt.write_text("1\n00:00:00,500 --> 00:00:01,500\n<i>Tom &amp; Jerry</i> R&D &lt;3\n", encoding="utf-8")
    assert [c.text for c in load_cues(srt)] == ["Tom & Jerry R&D <3"]


def test_webvtt_word_timings_drive_the_highlight(tmp_path: Path) -> None:
    path = tmp_path / "auto.vtt"
    path.write_text(YOUTUBE_VTT, encoding="utf-8")
    style = {"preset": "subtitle", "highlight_color": "#ff0000", "box_color": None}
    draw = Captions.from_file(path, highlight="words", style=style, cue_enter=None, cue_exit=None).bind(CTX)
    bg = Frame.solid(270, 480, (0, 0, 0))
    centres = []
    for t in (0.3, 0.6, 0.9, 1.5):  # so, today, we're, going: at the file's times, not evenly spread
        rgb = draw(bg, _t(t)).to_rgb().astype(int)
        red = (rgb[..., 0] > 150) & (rgb[..., 1] < 100)
        assert red.sum() > 10, t
        centres.append(np.nonzero(red)[1].mean())
    assert centres == sorted(centres) and len(set(centres)) == 4
    # in the rolling cue the highlight is on the new line's words only
    rgb = draw(bg, _t(3.5)).to_rgb().astype(int)
    ys = np.nonzero((rgb[..., 0] > 150) & (rgb[..., 1] < 100))[0]
    white = np.nonzero(rgb.min(axis=2) > 200)[0]
    assert ys.size > 10 and ys.min() > white.min() + 5  # below the first line's text


SUBTITLE_TEXTS = {
    "fr": ["Café crème, déjà vu, naïve!", "Über straße"],
    "ru": ["Привет, как дела? Это проверка субтитров.", "Спасибо большое, до свидания!"],
    "zh": ["你好，今天天气很好，我们去公园吧。", "谢谢大家的观看，下次再见！"],
    "ja": ["こんにちは、今日はいい天気ですね。", "ご視聴ありがとうございました！"],
}


@pytest.mark.parametrize("lang, encoding", [
    ("fr", "utf-8-sig"), ("fr", "utf-16"), ("ja", "utf-16-be"), ("fr", "cp1252"), ("ru", "cp1251"), ("zh", "gbk"), ("ja", "shift_jis"), ("ru", "utf-8"),
])
def test_subtitle_files_in_real_world_encodings_load(tmp_path: Path, lang: str, encoding: str) -> None:
    """Windows editors save UTF-16 with a byte-order mark; old subtitle sites serve
    Windows-1252, -1251, GBK and Shift JIS. Each reads as written (encoding='auto')."""
    lines = SUBTITLE_TEXTS[lang]
    text = "".join(f"{i + 1}\n00:00:0{2 * i},500 --> 00:00:0{2 * i + 1},900\n{line}\n\n" for i, line in enumerate(lines))
    path = tmp_path / f"{lang}-{encoding}.srt"
    path.write_bytes(text.encode(encoding))
    assert [c.text for c in load_cues(path)] == lines
    assert [c.text for c in Captions.from_file(path).cues] == lines


def test_subtitle_encoding_errors_say_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "latin.srt"
    path.write_bytes("1\n00:00:00,500 --> 00:00:01,500\nCafé\n".encode("cp1252"))
    with pytest.raises(MediaError, match=r"latin.srt: is not utf-8 text .*leave encoding at 'auto'"):
        load_cues(path, encoding="utf-8")
    assert [c.text for c in load_cues(path, encoding="cp1252")] == ["Café"]
    with pytest.raises(ParameterError, match=r"encoding: 'utf9' is not a text encoding"):
        load_cues(path, encoding="utf9")
    bad = _template(tmp_path, "overlays:\n  captions: {file: latin.srt, encoding: utf9}\n")
    with pytest.raises(ClipkitError, match=r"overlays.captions.encoding: 'utf9' is not a text encoding"):
        load_template(bad).build({"a": _clip(tmp_path)})
    fine = _template(tmp_path, "overlays:\n  captions: {file: latin.srt}\n")
    assert [c.text for c in load_template(fine).build({"a": _clip(tmp_path)}).overlays[0].node.cues] == ["Café"]


def test_captions_show_the_right_cue_inside_the_safe_area(subs: Path) -> None:
    caps = Captions.from_file(subs / "a.srt")
    draw = caps.bind(CTX)
    bg = Frame.solid(270, 480, (40, 90, 140))
    x0, y0, x1, y1 = SAFE_AREA.box(270, 480)
    assert np.array_equal(draw(bg, _t(0.2)).y, bg.y)  # before the first cue
    for t in (1.0, 2.0):
        out = draw(bg, _t(t))
        ys, xs = np.nonzero(out.y != bg.y)
        assert ys.size > 200
        assert xs.min() >= x0 - 1 and xs.max() <= x1 + 1 and ys.min() >= y0 - 1 and ys.max() <= y1 + 1
        assert ys.max() >= y1 - 30  # sits on the bottom of the safe area
    assert np.array_equal(draw(bg, _t(3.0)).y, bg.y)  # after the last


def test_back_to_back_cues_do_not_blink() -> None:
    caps = Captions([Cue(0, 1, "first"), Cue(1, 2, "second")])
    draw = caps.bind(CTX)
    bg = Frame.solid(270, 480, (0, 0, 0))
    assert (draw(bg, _t(1.0)).y > 100).sum() > 50  # the swap frame still shows text


def test_word_highlight_moves_through_the_cue() -> None:
    style = {"preset": "subtitle", "highlight_color": "#ff0000", "box_color": None}
    caps = Captions([Cue(0, 3, "one two three")], highlight="words", style=style, cue_enter=None, cue_exit=None)
    draw = caps.bind(CTX)
    bg = Frame.solid(270, 480, (0, 0, 0))
    centres = []
    for t in (0.5, 1.5, 2.5):
        rgb = draw(bg, _t(t)).to_rgb().astype(int)
        red = (rgb[..., 0] > 150) & (rgb[..., 1] < 100)
        assert red.sum() > 20
        centres.append(np.nonzero(red)[1].mean())
    assert centres[0] < centres[1] < centres[2]


def test_caption_errors() -> None:
    with pytest.raises(ParameterError, match=r"needs 0 <= start < end"):
        Cue(2, 1, "x")
    with pytest.raises(ParameterError, match="Captions.highlight"):
        Captions([Cue(0, 1, "x")], highlight="karaoke")
    with pytest.raises(ParameterError, match=r"cues\[0\]"):
        Captions([{"start": 0, "text": "x"}])


def _template(tmp_path: Path, overlays: str) -> Path:
    Image.fromarray(np.full((20, 20, 4), (0, 0, 255, 255), np.uint8)).save(tmp_path / "blue.png")
    (tmp_path / "subs.srt").write_text(SRT, encoding="utf-8")
    path = tmp_path / "t.yaml"
    path.write_text(
        "version: 1\nname: Overlay test\ncanvas: {width: 270, height: 480, fps: 30}\n"
        "slots:\n  - {id: a}\nvars: {name: Mia}\n"
        "shots:\n  - {slot: a, duration: 2.0}\n" + overlays,
        encoding="utf-8",
    )
    return path


def _clip(tmp_path: Path) -> str:
    path = tmp_path / "grey.png"
    Image.fromarray(np.full((480, 270, 3), 60, np.uint8)).save(path)
    return str(path)


def test_template_section_builds_layers(tmp_path: Path) -> None:
    path = _template(
        tmp_path,
        "overlays:\n"
        "  stickers:\n"
        "    - {src: blue.png, width: 0.2, position: [0.2, 0.2], start: 0.5, end: 1.5}\n"
        "    - {pack: hearts/heart_beat, position: [0.8, 0.2], enter: pop, beat_bounce: 0.1}\n"
        "  text:\n"
        "    - {text: 'Hi {{name}}', style: {preset: bold_outline, size: 90}, position: [0.5, 0.4], typewriter: 20}\n"
        "  captions: {file: subs.srt, highlight: words}\n",
    )
    edit = load_template(path).build({"a": _clip(tmp_path)})
    kinds = [type(ov.node).__name__ for ov in edit.overlays]
    assert kinds == ["Sticker", "Sticker", "Text", "Captions"]
    assert edit.overlays[0].start == 0.5 and edit.overlays[0].end == 1.5
    assert edit.overlays[2].node.text == "Hi Mia"
    frames = list(edit.frames(start=30, stop=31))
    rgb = frames[0].to_rgb().astype(int)
    blue = (rgb[..., 2] > 180) & (rgb[..., 0] < 80)
    ys, xs = np.nonzero(blue)
    assert abs(xs.mean() - 54) < 3 and abs(ys.mean() - 96) < 3  # the sticker at [0.2, 0.2]
    assert (rgb[..., 0] > 200).sum() > 300  # heart, text and caption drawn


def test_template_errors_name_the_field(tmp_path: Path) -> None:
    bad_style = _template(tmp_path, "overlays:\n  text:\n    - {text: hi, style: glitter}\n")
    with pytest.raises(TemplateError, match=r"overlays"):
        load_template(bad_style)
    missing = _template(tmp_path, "overlays:\n  stickers:\n    - {src: nope.png}\n")
    with pytest.raises(TemplateError, match=r"overlays.stickers\[0\].src: 'nope.png' does not exist"):
        load_template(missing).build({"a": _clip(tmp_path)})
    escape = _template(tmp_path, "overlays:\n  stickers:\n    - {src: ../../etc/passwd}\n")
    with pytest.raises(TemplateError, match="outside the template"):
        load_template(escape).build({"a": _clip(tmp_path)})
    unknown_var = _template(tmp_path, "overlays:\n  text:\n    - {text: 'Hi {{who}}'}\n")
    with pytest.raises(TemplateError, match=r"overlays.text\[0\].text: placeholder \{\{who\}\}"):
        load_template(unknown_var).build({"a": _clip(tmp_path)})
    bad_pack = _template(tmp_path, "overlays:\n  stickers:\n    - {pack: hearts/nope}\n")
    with pytest.raises(TemplateError, match=r"overlays.stickers\[0\]: .*it has"):
        load_template(bad_pack).build({"a": _clip(tmp_path)})


def test_render_with_overlays_writes_a_video(tmp_path: Path) -> None:
    edit = ck.sequence([ck.image(_clip(tmp_path), duration=0.5)], canvas=ck.Canvas(270, 480, fps=30))
    edit = edit.with_overlay(Sticker.from_pack("sparkles/twinkle", position=(0.3, 0.3)))
    edit = edit.with_overlay(Text("नमस्ते", style="neon", enter="fade"), start=0.1)
    out = tmp_path / "o.mp4"
    edit.render(out, profile="preview")
    with av.open(str(out)) as c:
        frames = [f.to_ndarray(format="gray") for f in c.decode(video=0)]
    assert len(frames) == 15
    assert frames[10].max() > 150 and frames[0].std() > 1  # overlays visible on the flat grey clip
