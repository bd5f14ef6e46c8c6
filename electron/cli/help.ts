// Help texts: what each command does, every option, and an example a new user can paste.

import { MIN_AUTO_IMAGES } from '../engine/model/auto-config';

export const MAIN_HELP = `patchline — find defects on parts without ever being shown one (PatchCore).

Usage: patchline <command> [options]

Commands:
  fit        learn what good parts look like from a folder of good images → a model folder
  eval       score a labelled test set: AUROC, F1, verdicts at the threshold; pixel AUROC, AUPRO with masks
  predict    score images with a model: OK/NG, scores, heatmap PNGs
  info       describe a model folder
  add-good   add confirmed-good images to a model's memory bank
  threshold  set a model's decision threshold
  update     add a new day's good images to a model as a new version (crash-safe)
  rollback   return a model to its previous version
  fold       fold a feature file (.npy or raw float32) into a day-scale bank with bounded memory
  backbones  list the backbone cards and where their ONNX files are found
  demo       generate a small synthetic dataset (or use --data DIR), fit, evaluate, write the report
  watch      the line station without a window: a hot folder scored, sorted OK/NG, results to MQTT/OPC UA/Modbus/HTTP

Run \`patchline <command> --help\` for its options.

Quick start:
  patchline fit  --data ./my_part --out ./models/my_part
  patchline eval --model ./models/my_part --data ./my_part --report report.html
  patchline predict --model ./models/my_part new_part.png --out heatmaps/
`;

export const FIT_HELP = `patchline fit --data DIR --out MODEL [options]

Learns a memory bank of good-part patches and writes a model folder (manifest.json + index), atomically.

  --data DIR            an MVTec AD category folder (train/good, optional validation/good) or a plain folder of good images
  --out MODEL           the model folder to create
  --backbone CARD       a backbone card id or .json path (default mobilenetv2-int8; see \`patchline backbones\`)
  --model-file FILE     the backbone's ONNX file, if it is not found automatically
  --taps A,B            feature tensors to tap (default: the card's; e.g. 339_quantized,365_quantized,426_quantized)
  --coreset SPEC        0.1 (approximate greedy, 10 %: default) | greedy:0.05 | random:0.1 | none
  --coreset-chunk N     greedy coreset on chunks of at most N patches (default 65536: linear time in the training
                        set); 0 = one greedy pass over all patches (the reference; quadratic)
  --stream              bounded memory: fold patches image by image into a streaming epsilon-net whose radius is
                        predicted to keep at most the --coreset ratio of the patches (re-thinned should it outgrow
                        it), then a compressed, mapped IVF index
  --stream-radius R     the epsilon-net radius by hand (with --stream)
  --auto                choose the settings from the good images: hold out some, draw synthetic defects on copies
                        (pasted patches, texture/colour changes, scratches, blobs), score a small grid (σ 4 and 8,
                        resize/crop policy, the card's coarser optional taps, a larger input) by image AUROC and AUPRO,
                        then fit on all images with the best; at most ~3× a plain fit (the grid stops early and says
                        so). Options you give (e.g. --sigma) stay fixed. Below ${MIN_AUTO_IMAGES} images: the defaults, with a note.
                        The choice and the grid's scores are in the manifest (\`patchline info\`). See docs/auto-config.md
  --index FACTORY       Faiss factory string (default: chosen by bank size, recorded in the manifest), e.g. Flat, HNSW32,
                        IVF512,SQ8,RFlat
  --ef-search N         HNSW search depth (default 64)      --nprobe N    IVF lists searched (default 16; 8 with --stream)
  --exact-top N         behind an approximate index, re-search the top patches exactly, N per round, until the
                        image score is exact (default 8; 0 = off)
  --k N                 nearest neighbours per patch (default 1)
  --reweight            PatchCore Eq. 7 image-score reweighting      --reweight-neighbors N (default 9)
  --image-size N        network input side (default 224)
  --resize-mode MODE    letterbox (default: the whole image, aspect kept, padded to the square input with the
                        backbone's mean; nothing is cut off) | stretch (square, ignore aspect, then centre crop) |
                        shorter-side (keep aspect, then centre crop: a non-square part loses its ends)
  --resize N            pre-crop resize for stretch / shorter-side (default 256 for 224, the reference's)
  --tile COLSxROWS      high-resolution parts: cut each image into tiles (e.g. 2x2), each tile one network input;
                        the tile maps are stitched into one map (max where tiles overlap), the score is the max
  --tile-size N         square tiles of N px instead (as many as cover the image)   --overlap N  px (default 0)
  --sigma S             anomaly-map blur (default 4, PatchCore's)
  --grid-stride N       patch grid stride (default: the finest tap's); finer taps are averaged down to it,
                        e.g. --taps 339_quantized,365_quantized,426_quantized --grid-stride 8
  --image-score MODE    patch-max (default: the largest patch score) | map-max (the largest value of the blurred map)
  --calibration F       fraction of train held out for calibration when there is no validation/good (default 0.1)
  --device DEV          cpu (default) | cuda | webgpu | dml | coreml | auto (falls back to cpu)
  --threads N           CPU threads (default: all cores)
  --batch N             images per forward pass (default 16)
  --seed N              random seed (default 0)
  --strict              stop at the first unreadable image instead of skipping it
  --overwrite           replace an existing model folder
  --json FILE           write the fit summary as JSON

Example: patchline fit --data ../shared/datasets/magnetic_tile --out models/tile
`;

export const EVAL_HELP = `patchline eval --model MODEL --data DIR [options]

Scores every image of a labelled folder, one at a time, and reports image AUROC, F1-max, the verdicts at the model's
threshold (defects caught and escaped, false rejects) and the median ms per image. With an MVTec AD ground_truth/
folder (ground_truth/<defect>/<name>_mask.png for every image of test/<defect>) it adds pixel AUROC and AUPRO (to
FPR 0.3) and how many ground-truth defect pixels the preprocessing cut out of view (a crop can cut a defect off;
letterbox and tiles never do); without one it says that pixel metrics were skipped and why.

  --model MODEL         a model folder from \`patchline fit\`
  --data DIR            an MVTec AD category folder, or a folder with good/ (or ok/) and one folder per defect kind,
                        directly or under test/
  --json FILE           write all figures and per-image scores as JSON
  --report FILE.html    write a self-contained HTML report (heatmaps of every test image, ROC, histograms)
  --device DEV          cpu (default) | cuda | webgpu | dml | coreml | auto
  --threads N           CPU threads (default: all cores)
  --strict              stop at the first unreadable image instead of skipping it

Example: patchline eval --model models/tile --data ../shared/datasets/magnetic_tile --json eval.json --report eval.html
`;

export const PREDICT_HELP = `patchline predict --model MODEL IMAGE... [options]

Scores images: prints score, normalised score (1.0 = threshold) and OK/NG; with --out writes a heatmap PNG per image,
overlaid on the original image at its own size.

  --model MODEL         a model folder
  --out DIR             write <name>_heatmap.png per image
  --json FILE           write the results as JSON
  --threshold T         decide OK/NG at T instead of the model's threshold
  --device DEV          cpu (default) | cuda | webgpu | dml | coreml | auto
  --threads N           CPU threads

Example: patchline predict --model models/tile part1.jpg part2.jpg --out heatmaps/
`;

export const INFO_HELP = `patchline info MODEL [--json]

Prints a model's backbone, parameters, memory bank, index, calibration, training summary, version history, and for
each parameter its value and where it came from (published default, principle, backbone card, user option, auto).
`;

export const ADD_GOOD_HELP = `patchline add-good --model MODEL IMAGE...

Adds confirmed-good images to the memory bank (same coreset rule as the fit), as a new model version. Atomic.
`;

export const THRESHOLD_HELP = `patchline threshold --model MODEL VALUE

Sets the raw-score decision threshold (see \`patchline info\` for the calibration quantiles), as a new model version.
`;

export const BACKBONES_HELP = `patchline backbones

Lists the backbone cards shipped with PatchLine, their taps, and where each ONNX file was found (or where to put it).
`;

export const DEMO_HELP = `patchline demo [--data DIR] [--out DIR] [--seed N]

Without --data: writes a small seeded synthetic dataset (machined washers with scratches, holes, cracks and stains) to
the user cache, fits a model on it, evaluates it and prints where the HTML report is. With --data: the same on a real
MVTec AD category folder.

  --data DIR     use this dataset instead of the synthetic one
  --out DIR      where the model, eval.json and report.html go (default: the user cache)
  --seed N       synthetic dataset seed (default 7)
  --threads N    CPU threads
`;
