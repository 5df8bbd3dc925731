/**
 * pdfjs's standard fonts (for PDFs that name Helvetica, Times... without embedding them) and
 * its wasm decoders (JPEG 2000, JBIG2), imported as file assets so `bun build --compile`
 * embeds them: under `bun run` each import is the path in node_modules, inside the binary a
 * `/$bunfs/...` path. Either way `Bun.file(path)` reads it. CJK cMaps are not embedded (1.7 MB).
 */
import FoxitDingbats from "pdfjs-dist/standard_fonts/FoxitDingbats.pfb" with { type: "file" };
import FoxitFixed from "pdfjs-dist/standard_fonts/FoxitFixed.pfb" with { type: "file" };
import FoxitFixedBold from "pdfjs-dist/standard_fonts/FoxitFixedBold.pfb" with { type: "file" };
import FoxitFixedBoldItalic from "pdfjs-dist/standard_fonts/FoxitFixedBoldItalic.pfb" with { type: "file" };
import FoxitFixedItalic from "pdfjs-dist/standard_fonts/FoxitFixedItalic.pfb" with { type: "file" };
import FoxitSerif from "pdfjs-dist/standard_fonts/FoxitSerif.pfb" with { type: "file" };
import FoxitSerifBold from "pdfjs-dist/standard_fonts/FoxitSerifBold.pfb" with { type: "file" };
import FoxitSerifBoldItalic from "pdfjs-dist/standard_fonts/FoxitSerifBoldItalic.pfb" with { type: "file" };
import FoxitSerifItalic from "pdfjs-dist/standard_fonts/FoxitSerifItalic.pfb" with { type: "file" };
import FoxitSymbol from "pdfjs-dist/standard_fonts/FoxitSymbol.pfb" with { type: "file" };
import LiberationSansBold from "pdfjs-dist/standard_fonts/LiberationSans-Bold.ttf" with { type: "file" };
import LiberationSansBoldItalic from "pdfjs-dist/standard_fonts/LiberationSans-BoldItalic.ttf" with { type: "file" };
import LiberationSansItalic from "pdfjs-dist/standard_fonts/LiberationSans-Italic.ttf" with { type: "file" };
import LiberationSansRegular from "pdfjs-dist/standard_fonts/LiberationSans-Regular.ttf" with { type: "file" };
import jbig2 from "pdfjs-dist/wasm/jbig2.wasm" with { type: "file" };
import openjpeg from "pdfjs-dist/wasm/openjpeg.wasm" with { type: "file" };
import qcms from "pdfjs-dist/wasm/qcms_bg.wasm" with { type: "file" };

/** File name pdfjs asks for -> path of the embedded copy. */
export const STANDARD_FONTS: Record<string, string> = {
  "FoxitDingbats.pfb": FoxitDingbats,
  "FoxitFixed.pfb": FoxitFixed,
  "FoxitFixedBold.pfb": FoxitFixedBold,
  "FoxitFixedBoldItalic.pfb": FoxitFixedBoldItalic,
  "FoxitFixedItalic.pfb": FoxitFixedItalic,
  "FoxitSerif.pfb": FoxitSerif,
  "FoxitSerifBold.pfb": FoxitSerifBold,
  "FoxitSerifBoldItalic.pfb": FoxitSerifBoldItalic,
  "FoxitSerifItalic.pfb": FoxitSerifItalic,
  "FoxitSymbol.pfb": FoxitSymbol,
  "LiberationSans-Bold.ttf": LiberationSansBold,
  "LiberationSans-BoldItalic.ttf": LiberationSansBoldItalic,
  "LiberationSans-Italic.ttf": LiberationSansItalic,
  "LiberationSans-Regular.ttf": LiberationSansRegular,
};

export const WASM: Record<string, string> = {
  "jbig2.wasm": jbig2,
  "openjpeg.wasm": openjpeg,
  "qcms_bg.wasm": qcms,
};
