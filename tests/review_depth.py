"""Which of the review's 3-D surfaces the depth buffer hides behind a surface drawn before it.

OpenGL's depth test discards a fragment behind one already drawn, translucent or not (pyqtgraph's
"translucent" and "opaque" options keep GL_DEPTH_TEST on and never turn depth writes off), and
pyqtgraph draws a view's top-level items in ascending ``depthValue()``, ties in the order they were
added (``GLViewWidget.drawItemTree``: a stable sort).  So a surface lying inside a closed surface drawn
before it is never seen.  Whether one mesh lies inside another is decided by the generalized winding
number (Van Oosterom and Strackee's solid angle of each triangle), independent of the labels the meshes
were made from.
"""

from __future__ import annotations

import numpy as np


def winding_numbers(points: np.ndarray, vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Winding number of the closed mesh ``(vertices, faces)`` about each of ``points`` (n, 3): about
    +-1 inside, 0 outside."""
    out = np.empty(len(points))
    tri = vertices[faces].astype(float)                       # (m, 3, 3)
    for i0 in range(0, len(points), 64):
        p = points[i0:i0 + 64, None, None, :]
        a, b, c = (tri[None, :, k, :] - p[:, :, 0, :] for k in range(3))
        la, lb, lc = (np.linalg.norm(v, axis=-1) for v in (a, b, c))
        num = np.einsum("...i,...i", a, np.cross(b, c))
        den = (la * lb * lc + np.einsum("...i,...i", a, b) * lc + np.einsum("...i,...i", b, c) * la
               + np.einsum("...i,...i", c, a) * lb)
        out[i0:i0 + 64] = 2.0 * np.arctan2(num, den).sum(axis=1) / (4.0 * np.pi)
    return out


def hidden_surfaces(review, inside_fraction: float = 0.5) -> list[tuple[str, str]]:
    """``(hidden, by)`` names of review surfaces of which more than ``inside_fraction`` of the vertices
    lie inside a surface drawn before them in the review's 3-D view, or on it (winding number above 0.4:
    a pedicle's outer wall is the bone's outer surface, where the depth test's GL_LESS discards the tie)."""
    import pyqtgraph.opengl as gl

    meshes = [it for it in review.gl.items if isinstance(it, gl.GLMeshItem)]
    assert len(meshes) == len(review.surfaces)                 # added in the surfaces' order
    drawn = [s for _d, _i, s in sorted(((it.depthValue(), i, s) for i, (it, s)
                                        in enumerate(zip(meshes, review.surfaces))), key=lambda t: t[:2])]
    hidden = []
    for k, later in enumerate(drawn):
        for earlier in drawn[:k]:
            w = np.abs(winding_numbers(later.vertices_mm, earlier.vertices_mm, earlier.faces))
            if (w > 0.4).mean() > inside_fraction:
                hidden.append((later.name, earlier.name))
    return hidden
