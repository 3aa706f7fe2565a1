#!/usr/bin/env node
// Renders ZPL files to PNG with zpl-renderer-js (IngridHQ's Zebrash, compiled to WebAssembly): a ZPL
// interpreter that shares no code with batchtrack, so what it draws is what an independent reader sees.
//
//   node render.mjs --dpi 203|300 IN.zpl OUT.png [IN.zpl OUT.png ...]
//
// Each file holds one label (^XA ... ^XZ). The label's size is read from its own ^PW (print width) and ^LL
// (label length) commands, in dots, unless --width-mm and --height-mm are given. The WebAssembly module is
// loaded once for all the files of a call. Exit status: 0 all written, 1 a file could not be rendered,
// 2 wrong arguments.
import { readFileSync, writeFileSync } from "node:fs";
import { ready } from "zpl-renderer-js";

// Zebra printers are built at 8 and 12 dots per millimetre, sold as 203 and 300 dpi; Zebrash takes whole dots
// per millimetre.
const DPMM = { 203: 8, 300: 12 };
const MM_PER_INCH = 25.4;

function usage(message) {
  process.stderr.write(`zpl-render: ${message}\n`);
  process.stderr.write("usage: node render.mjs --dpi 203|300 [--width-mm W --height-mm H] IN.zpl OUT.png ...\n");
  process.exit(2);
}

function parseArguments(argv) {
  const options = { dpi: null, widthMm: null, heightMm: null, files: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const name = argv[i];
    if (name === "--dpi" || name === "--width-mm" || name === "--height-mm") {
      const value = Number(argv[i + 1]);
      if (!Number.isFinite(value) || value <= 0) usage(`${name} needs a positive number`);
      if (name === "--dpi") options.dpi = value;
      else if (name === "--width-mm") options.widthMm = value;
      else options.heightMm = value;
      i += 1;
    } else if (name.startsWith("--")) {
      usage(`unknown option ${name}`);
    } else {
      options.files.push(name);
    }
  }
  if (!(options.dpi in DPMM)) usage("--dpi must be 203 or 300");
  if ((options.widthMm === null) !== (options.heightMm === null)) usage("give both --width-mm and --height-mm");
  if (options.files.length === 0 || options.files.length % 2 !== 0) usage("give pairs of IN.zpl OUT.png");
  return options;
}

// The label's size in mm from its ^PW and ^LL commands (dots at `dpi`).
function sizeFromZpl(zpl, dpi, path) {
  const width = /\^PW(\d+)/.exec(zpl);
  const length = /\^LL(\d+)/.exec(zpl);
  if (!width || !length) {
    throw new Error(`${path} sets no ^PW and ^LL; give --width-mm and --height-mm`);
  }
  return [(Number(width[1]) * MM_PER_INCH) / dpi, (Number(length[1]) * MM_PER_INCH) / dpi];
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  const { api } = await ready;
  let failed = false;
  for (let i = 0; i < options.files.length; i += 2) {
    const [input, output] = [options.files[i], options.files[i + 1]];
    try {
      const zpl = readFileSync(input, "latin1");
      const [widthMm, heightMm] =
        options.widthMm === null ? sizeFromZpl(zpl, options.dpi, input) : [options.widthMm, options.heightMm];
      const png = await api.zplToBase64Async(zpl, widthMm, heightMm, DPMM[options.dpi]);
      writeFileSync(output, Buffer.from(png, "base64"));
    } catch (error) {
      process.stderr.write(`zpl-render: ${input}: ${error instanceof Error ? error.message : error}\n`);
      failed = true;
    }
  }
  // The Go runtime keeps the event loop alive: leave explicitly.
  process.exit(failed ? 1 : 0);
}

main().catch((error) => {
  process.stderr.write(`zpl-render: ${error instanceof Error ? error.stack : error}\n`);
  process.exit(1);
});
