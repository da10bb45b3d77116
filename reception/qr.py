"""QR codes as SVG data URIs (server-side, no script needed on the page)."""

from __future__ import annotations

import base64
import io


def qr_data_uri(text: str) -> str:
    import qrcode  # loaded on the first code drawn
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()
