// The model's input, made in the browser exactly as the server makes it (fruitclf/ml/preprocess.py, spec_input),
// following the `preprocessing` object of the model card: optional JPEG draft reduction, central square crop,
// Pillow's antialiased BILINEAR resize (same coefficients, same 8-bit fixed-point rounding, horizontal pass first),
// then raw uint8 pixels or (x - mean) / scale in float32 (mean and scale one number or one per channel), NHWC.
// Pure functions over RGBA pixels, so Node can test them against Pillow.

/** Pillow's draft(): the largest of 8, 4, 2, 1 that keeps both sides >= size once divided. */
export function draftFactor(width, height, size) {
  const most = Math.min(Math.floor(width / size), Math.floor(height / size));
  return [8, 4, 2].find((factor) => most >= factor) ?? 1;
}

/**
 * libjpeg's scaled decode, approximated: the mean of each factor x factor block (edge blocks are partial).
 * @returns {{data: Uint8ClampedArray, width: number, height: number}} RGBA
 */
export function reduceByBlocks(rgba, width, height, factor) {
  if (factor === 1) return { data: rgba, width, height };
  const outWidth = Math.ceil(width / factor);
  const outHeight = Math.ceil(height / factor);
  const out = new Uint8ClampedArray(outWidth * outHeight * 4);
  for (let oy = 0; oy < outHeight; oy++) {
    const y1 = Math.min(height, (oy + 1) * factor);
    for (let ox = 0; ox < outWidth; ox++) {
      const x1 = Math.min(width, (ox + 1) * factor);
      let r = 0, g = 0, b = 0, n = 0;
      for (let y = oy * factor; y < y1; y++) {
        for (let x = ox * factor, i = (y * width + x) * 4; x < x1; x++, i += 4) {
          r += rgba[i];
          g += rgba[i + 1];
          b += rgba[i + 2];
          n++;
        }
      }
      const o = (oy * outWidth + ox) * 4;
      out[o] = Math.round(r / n);
      out[o + 1] = Math.round(g / n);
      out[o + 2] = Math.round(b / n);
      out[o + 3] = 255;
    }
  }
  return { data: out, width: outWidth, height: outHeight };
}

const PRECISION_BITS = 32 - 8 - 2; // Pillow's Resample.c
const HALF = 2 ** (PRECISION_BITS - 1);
const ONE = 2 ** PRECISION_BITS;
const triangle = (x) => (Math.abs(x) < 1 ? 1 - Math.abs(x) : 0);

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for the bilinear filter: per output pixel, where its
 *  input window starts and the integer weights. */
function coefficients(inStart, inEnd, inSize, outSize) {
  const scale = (inEnd - inStart) / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // the triangle filter's support is 1
  const windows = [];
  for (let xx = 0; xx < outSize; xx++) {
    const center = inStart + (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    const weights = [];
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      const weight = triangle((x + xmin - center + 0.5) / filterScale);
      weights.push(weight);
      total += weight;
    }
    const fixed = weights.map((w) => {
      const k = total ? w / total : w;
      return k < 0 ? Math.trunc(-0.5 + k * ONE) : Math.trunc(0.5 + k * ONE);
    });
    windows.push({ start: xmin, weights: fixed });
  }
  return windows;
}

const clip8 = (sum) => Math.min(255, Math.max(0, Math.floor(sum / ONE)));

/** Pillow's Image.resize((size, size), BILINEAR) of RGBA pixels, 8-bit RGB result (alpha ignored). */
export function resizeBilinear(rgba, width, height, size) {
  const columns = coefficients(0, width, width, size);
  const rows = coefficients(0, height, height, size);
  const firstRow = rows[0].start;
  const lastRow = rows[size - 1].start + rows[size - 1].weights.length;
  // horizontal pass over the rows the vertical pass will read
  const band = new Uint8ClampedArray((lastRow - firstRow) * size * 3);
  for (let y = firstRow; y < lastRow; y++) {
    for (let xx = 0; xx < size; xx++) {
      const { start, weights } = columns[xx];
      let r = HALF, g = HALF, b = HALF;
      for (let k = 0, i = (y * width + start) * 4; k < weights.length; k++, i += 4) {
        r += rgba[i] * weights[k];
        g += rgba[i + 1] * weights[k];
        b += rgba[i + 2] * weights[k];
      }
      const o = ((y - firstRow) * size + xx) * 3;
      band[o] = clip8(r);
      band[o + 1] = clip8(g);
      band[o + 2] = clip8(b);
    }
  }
  const out = new Uint8ClampedArray(size * size * 3);
  for (let yy = 0; yy < size; yy++) {
    const { start, weights } = rows[yy];
    for (let xx = 0; xx < size; xx++) {
      let r = HALF, g = HALF, b = HALF;
      for (let k = 0; k < weights.length; k++) {
        const i = ((start - firstRow + k) * size + xx) * 3;
        r += band[i] * weights[k];
        g += band[i + 1] * weights[k];
        b += band[i + 2] * weights[k];
      }
      const o = (yy * size + xx) * 3;
      out[o] = clip8(r);
      out[o + 1] = clip8(g);
      out[o + 2] = clip8(b);
    }
  }
  return out;
}

function dropAlpha(rgba) {
  const rgb = new Uint8ClampedArray((rgba.length / 4) * 3);
  for (let i = 0, o = 0; i < rgba.length; i += 4, o += 3) {
    rgb[o] = rgba[i];
    rgb[o + 1] = rgba[i + 1];
    rgb[o + 2] = rgba[i + 2];
  }
  return rgb;
}

/** Central square, integer offsets as in fruitclf.preprocess.center_square. */
export function centerSquare(width, height) {
  const side = Math.min(width, height);
  const left = Math.floor((width - side) / 2);
  const top = Math.floor((height - side) / 2);
  return [left, top, left + side, top + side];
}

// The values the server supports for these keys (ml/model_checks.py): a card may leave them out.
const FIXED = { crop: "center_square", resize: "bilinear_antialias", layout: "NHWC", color: "RGB", exif_orientation: true, alpha_background: "255,255,255" };
const perChannel = (value) => (Array.isArray(value) ? value.map(Number) : [value, value, value].map(Number));

/**
 * RGBA pixels (already oriented, alpha over white) -> the model input.
 * @param {{size: number, mean: number|number[], scale: number|number[], dtype?: "float32"|"uint8",
 *   jpeg_draft?: boolean, crop?: string, resize?: string, layout?: string, color?: string}} spec
 *   the model card's `preprocessing`
 * @param {{isJpeg?: boolean}} source whether the pixels were decoded from a JPEG (draft applies to JPEGs only)
 * @returns {Float32Array|Uint8Array} size * size * 3, NHWC (Uint8Array when the card's dtype is uint8)
 */
export function toInput(rgba, width, height, spec, { isJpeg = false } = {}) {
  const unsupported = Object.entries(FIXED).filter(([key, value]) => String(spec[key] ?? value) !== String(value));
  if (unsupported.length || !["float32", "uint8", undefined].includes(spec.dtype)) {
    throw new Error(`This app cannot prepare the input this model's card describes (${unsupported.map(([key]) => `${key} ${spec[key]}`).join(", ") || `dtype ${spec.dtype}`}).`);
  }
  // JPEGs are decoded at the reduced scale, as the server does (ml/images.py), unless the card says false
  const factor = isJpeg && (spec.jpeg_draft ?? true) ? draftFactor(width, height, spec.size) : 1;
  const reduced = reduceByBlocks(rgba, width, height, factor);
  const [left, top, right] = centerSquare(reduced.width, reduced.height);
  const side = right - left;
  const square = new Uint8ClampedArray(side * side * 4); // cropped first, as Pillow does: edges clamp at the crop
  for (let y = 0; y < side; y++) {
    const from = ((y + top) * reduced.width + left) * 4;
    square.set(reduced.data.subarray(from, from + side * 4), y * side * 4);
  }
  const rgb = side === spec.size ? dropAlpha(square) : resizeBilinear(square, side, side, spec.size);
  if (spec.dtype === "uint8") return Uint8Array.from(rgb);
  const mean = perChannel(spec.mean);
  const scale = perChannel(spec.scale);
  const input = new Float32Array(rgb.length);
  // Math.fround at each step: numpy computes (x - mean) / scale in float32, not in double
  for (let i = 0; i < rgb.length; i++) input[i] = Math.fround(Math.fround(rgb[i] - Math.fround(mean[i % 3])) / Math.fround(scale[i % 3]));
  return input;
}
