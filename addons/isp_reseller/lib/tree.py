"""Where a reseller may sit in the tree (ISP -> reseller -> sub-reseller ...)."""

RESELLER_KINDS = ("reseller", "sub_reseller", "card_partner")


def depth_of(parent_path):
    """Depth of a node from its ``parent_path`` (``"1/4/9/"``): 1 for a root reseller.

    >>> depth_of("1/4/9/")
    3
    >>> depth_of("")
    0
    """
    return len([part for part in (parent_path or "").split("/") if part])


def placement_error(kind, parent_kind, depth, max_depth):
    """Why a ``kind`` node under ``parent_kind`` at ``depth`` is refused, or None.

    ``parent_kind`` is None for a node directly under the ISP; ``depth`` counts the
    node itself (1 directly under the ISP); ``max_depth`` 0 means no limit.

    >>> placement_error("reseller", None, 1, 3) is None
    True
    >>> placement_error("sub_reseller", None, 1, 3)
    'sub_reseller_needs_parent'
    >>> placement_error("sub_reseller", "reseller", 4, 3)
    'too_deep'
    """
    if kind not in RESELLER_KINDS:
        return "unknown_kind"
    if parent_kind is not None and parent_kind not in RESELLER_KINDS:
        return "unknown_kind"
    if kind == "sub_reseller" and parent_kind is None:
        return "sub_reseller_needs_parent"
    if kind == "reseller" and parent_kind is not None:
        return "reseller_is_root"
    if parent_kind == "card_partner":
        return "card_partner_is_leaf"
    if max_depth and depth > max_depth:
        return "too_deep"
    return None
