#!/usr/bin/python3
"""Side by side on one sinogram: tomoedge (direct FBP; gridrec when built) against scikit-image's
iradon and silx's backprojection (OpenCL on the CPU through PoCL), on a simulated phantom whose
attenuation is known. Reports seconds per slice (start-up excluded where the tool allows) and PSNR
inside the reconstruction disc.

    scripts/setup --with-bench && scripts/build
    bench/compare_tools.py [--columns 2048] [--projections 1800] [--work DIR]

Runs with Debian's /usr/bin/python3 (numpy, h5py, skimage, silx from Debian's packages). All three
place the slice as tomoedge does (checked: flipping theirs vertically costs 9 dB), so PSNR compares.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, os.environ.get("TOMO_BUILD_DIR", "build"), "cli", "tomoedge")


def psnr(image, truth, disc):
    """As kernels/image_metrics.cpp: peak = truth's range inside the disc."""
    t, x = truth[disc], image[disc]
    peak = t.max() - t.min()
    return 10 * np.log10(peak * peak / np.mean((x - t) ** 2))


def disc_mask(n, ratio=0.95):
    j = np.arange(n) - n / 2.0
    x, y = np.meshgrid(j, -j)  # x = j − N/2, y = N/2 − r
    return x * x + y * y <= (ratio * n / 2.0) ** 2


def line_integrals(scan, row):
    """−log((raw − dark) / (flat − dark)) of one detector row of a TDF scan (rows, images, columns)."""
    with h5py.File(scan, "r") as f:
        raw = f["/exchange/data"][row].astype(np.float64)
        flat = f["/exchange/data_white"][row].astype(np.float64).mean(axis=0)
        dark = f["/exchange/data_dark"][row].astype(np.float64).mean(axis=0)
    return -np.log(np.clip((raw - dark) / (flat - dark), 1e-4, None)).astype(np.float32)


def run_tomoedge(scan, work, n, method):
    out = os.path.join(work, "tomoedge-" + method)
    command = [BINARY, "recon", scan, "--out", out, "--format", "hdf5", "--slices", "0:16", "--method", method]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    seconds = (time.perf_counter() - started) / 16  # 16 slices in one process: start-up amortised
    with h5py.File(os.path.join(out, "slice.h5"), "r") as f:
        return f["/entry/data/data"][0], seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--columns", type=int, default=2048)
    parser.add_argument("--projections", type=int, default=1800)
    parser.add_argument("--work", default=None)
    args = parser.parse_args()
    n, p = args.columns, args.projections
    work = args.work or tempfile.mkdtemp(prefix="tomoedge-compare-")
    os.makedirs(work, exist_ok=True)
    scan = os.path.join(work, "compare.tdf")
    subprocess.run([BINARY, "simulate", "--out", scan, "--projections", str(p), "--rows", "16", "--columns", str(n),
                    "--seed", "1", "--log-level", "warn"], check=True)
    with h5py.File(scan + ".truth.h5", "r") as f:
        truth = f["/phantom"][0]
    disc = disc_mask(n)
    sinogram = line_integrals(scan, 0)  # (angles, columns)
    theta = np.arange(p) * 180.0 / p
    results = []

    for method in ["fbp", "gridrec"]:
        try:
            image, seconds = run_tomoedge(scan, work, n, method)
            results.append((f"tomoedge {method} (2 threads, 16 slices in one run)", seconds, psnr(image, truth, disc)))
        except subprocess.CalledProcessError as error:
            print(f"tomoedge {method}: not available ({error.stderr.decode().strip()[:200]})", file=sys.stderr)

    try:
        from silx.opencl.backprojection import Backprojection
        projector = Backprojection((p, n), angles=np.deg2rad(theta).astype(np.float32), axis_position=n / 2.0,
                                   filter_name="ram-lak")
        projector.filtered_backprojection(sinogram)  # first call compiles the OpenCL kernels
        started = time.perf_counter()
        image = projector.filtered_backprojection(sinogram)
        results.append(("silx Backprojection (OpenCL on the CPU, PoCL)", time.perf_counter() - started,
                        psnr(image, truth, disc)))
    except Exception as error:  # no OpenCL platform, no silx
        print(f"silx: not run ({error})", file=sys.stderr)

    from skimage.transform import iradon
    started = time.perf_counter()
    image = iradon(sinogram.T, theta=theta, filter_name="ramp", circle=True)
    results.append(("scikit-image iradon (1 thread)", time.perf_counter() - started, psnr(image, truth, disc)))

    print(f"\n{p} projections x {n} columns, one slice; PSNR inside the disc of radius 0.95 N/2\n")
    print(f"| tool | s per slice | PSNR (dB) |\n| --- | --- | --- |")
    for name, seconds, quality in results:
        print(f"| {name} | {seconds:.3f} | {quality:.2f} |")


if __name__ == "__main__":
    main()
