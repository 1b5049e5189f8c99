"""Who a visit met: the names in 拜访对象 matched to the stakeholder map, and each person's
effective last contact (SPEC §7).

People type the names the way they speak: ``张伟、王总``, ``李娜，赵主任；钱工``, one per line,
with a title after the name. A name matches a stakeholder of the *same project* when
- it is the stakeholder's name (case-insensitive for Latin names, any word of a Latin name), or
- it is the name followed by a title (``张伟总``, ``张伟经理``, ``李娜（CIO）``), or
- it is a surname with a title (``王总``, ``老王``): that names *some* stakeholder whose name
  starts with it. Such a mention is enough to not report the name (VIS-005), but it credits a
  contact only when exactly one stakeholder of the project has that surname: with two 王 on the
  map, "王总" does not say which one was met.

Everything is computed once per run over whole columns (split, explode, merges): the benchmark
ledger has a hundred thousand visits.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

# Between names: 、 , ; ， ； / | and any whitespace (spaces, full-width spaces, new lines).
SEPARATORS = r"[、,;，；/|\s]+"
# A bracketed remark after a name: 李娜（CIO）, 张伟(信息中心).
BRACKETS = r"[（(【\[][^）)】\]]*[）)】\]]"
# Titles people put after a name or a surname (longest first so 总经理 wins over 总).
TITLES = ("总经理", "副总经理", "总工程师", "董事长", "副总裁", "总裁", "副总监", "总监", "副总", "总", "董事", "董",
          "副经理", "经理", "副主任", "主任", "处长", "副处长", "科长", "局长", "部长", "厅长", "院长", "校长", "所长",
          "行长", "书记", "主席", "主管", "组长", "工程师", "工", "老师", "教授", "博士", "先生", "女士", "小姐", "助理",
          "专员", "秘书", "代表", "负责人")
_TITLE_RE = "(?:" + "|".join(sorted(map(re.escape, TITLES), key=len, reverse=True)) + ")"
_CORE = re.compile(rf"^(.+?){_TITLE_RE}$")
_FAMILIAR = re.compile(r"^(?:老|小)(.)$")  # 老王, 小李: a surname
_CJK = re.compile(r"^[\u3400-\u9fff]")
_SEPARATORS, _BRACKETS = re.compile(SEPARATORS), re.compile(BRACKETS)

TOKEN_COLUMNS = ["_tid", "_vindex", "project_id", "visit_date", "kind", "token", "_tkey", "_ckey", "_titled", "_name"]


def split_names(contacts: pd.Series) -> pd.DataFrame:
    """One row per name typed in a 拜访对象 cell: ``_vindex`` (the visit's row label), ``token``
    (the name as typed, brackets dropped), ``_tkey`` (its case-folded form), ``_ckey`` (the same
    without a title after it), ``_titled`` (a title was dropped) and ``_name`` (an integer code,
    one per distinct name: the matching hashes each distinct name's keys once, not every row's)."""
    text = contacts.dropna().astype(str)
    # a ledger repeats the same cells and names many times: strip, split and read titles once
    # per distinct cell and distinct name (as integer codes), then spread the results back
    codes, cells = pd.factorize(text)
    cell_list = cells.tolist()  # plain str: indexing the Index per cell costs more than the regexes
    filled = np.array([bool(cell.strip()) for cell in cell_list], dtype=bool)
    kept = filled[codes] if len(codes) else np.zeros(0, dtype=bool)
    text, codes = text[kept], codes[kept]
    if text.empty:
        return pd.DataFrame({"_vindex": pd.Series(dtype=object), "token": pd.Series(dtype=object),
                             "_tkey": pd.Series(dtype=object), "_ckey": pd.Series(dtype=object),
                             "_titled": pd.Series(dtype=bool), "_name": pd.Series(dtype="int64")})
    # one plain loop over the distinct cells: what ``.str.replace().str.split().explode()`` does
    # inside, without building a list Series and exploding it
    owners: list[int] = []
    pieces: list[str] = []
    for position, cell in enumerate(cell_list):
        for piece in _SEPARATORS.split(_BRACKETS.sub(" ", cell)):
            if piece:
                owners.append(position)
                pieces.append(piece)
    piece_codes, distinct = pd.factorize(np.array(pieces, dtype=object))
    per_cell = pd.DataFrame({"_cell": np.array(owners, dtype=np.int64), "_token": piece_codes}).drop_duplicates()
    frame = pd.DataFrame({"_vindex": text.index.to_numpy(), "_cell": codes}).merge(per_cell, on="_cell", how="inner")
    token_codes = frame["_token"].to_numpy()
    frame = frame.drop(columns=["_cell", "_token"]).reset_index(drop=True)
    names = pd.Series(distinct, dtype=object).astype(str)
    core = names.str.extract(_CORE, expand=False).fillna(names.str.extract(_FAMILIAR, expand=False))
    frame["token"] = names.to_numpy(dtype=object)[token_codes]
    frame["_titled"] = core.notna().to_numpy()[token_codes]
    frame["_tkey"] = names.str.casefold().to_numpy(dtype=object)[token_codes]
    frame["_ckey"] = core.fillna(names).str.casefold().to_numpy(dtype=object)[token_codes]
    frame["_name"] = token_codes.astype(np.int64)
    return frame


def visit_tokens(ctx) -> pd.DataFrame:
    """Every name of every visit of a known project (cached per run); columns :data:`TOKEN_COLUMNS`."""
    return ctx.shared("visit_tokens", _visit_tokens)


def _visit_tokens(ctx) -> pd.DataFrame:
    visits = ctx.ledger.frames["visits"]
    projects = ctx.ledger.frames["projects"]["project_id"]
    known = visits[visits["project_id"].isin(projects.dropna())]
    names = split_names(known["contacts"])
    if names.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in TOKEN_COLUMNS})
    labels = names["_vindex"].to_numpy()
    names["project_id"] = known.loc[labels, "project_id"].to_numpy(dtype=object)
    names["visit_date"] = known.loc[labels, "visit_date"].to_numpy()
    names["kind"] = known.loc[labels, "kind"].to_numpy(dtype=object)
    names["_tid"] = np.arange(len(names))
    return names[TOKEN_COLUMNS]


def _stakeholder_keys(stakeholders: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(full keys, surname keys) of the map's people: columns project_id, key, _sindex.

    Full keys: the name, the name without a title (a map may say 赵总), each word of a Latin
    name. Surname keys: the first one or two characters of a Chinese name (欧阳 is a surname)."""
    people = stakeholders[stakeholders["project_id"].notna() & stakeholders["name"].notna()]
    pid = people["project_id"].to_numpy(dtype=object)
    index = people.index.to_numpy()
    codes, distinct = pd.factorize(people["name"].astype(str))  # a map repeats names: work on each once
    names = pd.Series(distinct, dtype=object)
    core = names.str.extract(_CORE, expand=False).fillna(names)
    distinct_name_key = names.str.casefold().to_numpy(dtype=object)
    distinct_core_key = core.str.casefold().to_numpy(dtype=object)
    name_key, core_key = distinct_name_key[codes], distinct_core_key[codes]
    # a person's name key and title-less key differ only when the map's name carries a title:
    # the second row is added only then (each row of the map is one person: nothing else repeats)
    titled = (distinct_name_key != distinct_core_key)[codes]
    parts = [pd.DataFrame({"project_id": pid, "key": name_key, "_sindex": index}),
             pd.DataFrame({"project_id": pid[titled], "key": core_key[titled], "_sindex": index[titled]})]
    latin = (~names.str.match(_CJK) & names.str.contains(r"\s")).to_numpy()[codes]
    if latin.any():
        words = pd.Series(name_key[latin], index=index[latin]).str.split(r"\s+").explode()
        parts.append(pd.DataFrame({"project_id": people.loc[words.index, "project_id"].to_numpy(dtype=object),
                                   "key": words.to_numpy(dtype=object), "_sindex": words.index.to_numpy()}))
    full = pd.concat(parts, ignore_index=True)
    if latin.any():  # a word of a Latin name may repeat the name or another word
        full = full.drop_duplicates()
    chinese = core.str.match(_CJK).to_numpy()
    length = core.str.len().to_numpy()
    first_one, first_two = core.str[:1].to_numpy(dtype=object), core.str[:2].to_numpy(dtype=object)
    one = (chinese & (length >= 2))[codes]
    two = (chinese & (length >= 3))[codes]
    surnames = pd.concat([
        pd.DataFrame({"project_id": pid[one], "key": first_one[codes][one], "_sindex": index[one]}),
        pd.DataFrame({"project_id": pid[two], "key": first_two[codes][two], "_sindex": index[two]}),
    ], ignore_index=True)  # one- and two-character surnames differ: no row repeats
    return full, surnames


def name_matches(ctx) -> pd.DataFrame:
    """(_tid, _sindex, exact) for every name that names a stakeholder of its visit's project
    (cached per run). ``exact``: by name (with or without a title); else by surname only."""
    return ctx.shared("name_matches", _name_matches)


def _name_matches(ctx) -> pd.DataFrame:
    tokens = visit_tokens(ctx)
    empty = pd.DataFrame({"_tid": pd.Series(dtype="int64"), "_sindex": pd.Series(dtype="int64"),
                          "exact": pd.Series(dtype=bool)})
    if tokens.empty:
        return empty
    full, surnames = _stakeholder_keys(ctx.ledger.frames["stakeholders"])
    if full.empty:
        return empty
    # (project, name) pairs as one integer each, both sides coded alike: the joins below then
    # hash integers, not two string columns per join. A title-less name's _ckey is its _tkey, so
    # only titled names can match by _ckey something _tkey did not.
    titled_rows = tokens["_titled"].to_numpy(dtype=bool)
    # project codes from the two sheets' own columns (each row once), not from the longer token
    # and key tables; _vindex and _sindex are row labels, turned into positions by the index
    visits, stakeholders = ctx.ledger.frames["visits"], ctx.ledger.frames["stakeholders"]
    visit_pid, map_pid = _codes(visits["project_id"], stakeholders["project_id"])
    token_pid = visit_pid[visits.index.get_indexer(tokens["_vindex"])]
    full_pid = map_pid[stakeholders.index.get_indexer(full["_sindex"])]
    surname_pid = map_pid[stakeholders.index.get_indexer(surnames["_sindex"])]
    # the tokens' keys coded per distinct name, then spread back to the rows by the name's code
    name = tokens["_name"].to_numpy()
    distinct, first = np.unique(name, return_index=True)
    distinct_tkey, distinct_ckey, full_key, surname_key = _codes(
        tokens["_tkey"].iloc[first], tokens["_ckey"].iloc[first], full["key"], surnames["key"])
    spread = np.zeros(int(distinct.max(initial=0)) + 1, dtype=np.int64)
    spread[distinct] = distinct_tkey
    tkey = spread[name]
    spread[distinct] = distinct_ckey
    ckey = spread[name]
    width = int(max(tkey.max(initial=0), ckey.max(initial=0), full_key.max(initial=0),
                    surname_key.max(initial=0))) + 1
    tid = tokens["_tid"].to_numpy()
    full_pairs = pd.DataFrame({"_pair": full_pid * width + full_key, "_sindex": full["_sindex"].to_numpy()})
    by_name = pd.DataFrame({"_tid": tid, "_pair": token_pid * width + tkey})
    by_core = pd.DataFrame({"_tid": tid[titled_rows], "_pair": (token_pid * width + ckey)[titled_rows]})
    exact = pd.concat([by_name.merge(full_pairs, on="_pair"), by_core.merge(full_pairs, on="_pair")],
                      ignore_index=True)[["_tid", "_sindex"]].drop_duplicates()
    exact["exact"] = True
    titled = titled_rows & ~np.isin(tid, exact["_tid"].to_numpy())
    by_surname = pd.DataFrame({"_tid": tid[titled], "_pair": (token_pid * width + ckey)[titled]}).merge(
        pd.DataFrame({"_pair": surname_pid * width + surname_key, "_sindex": surnames["_sindex"].to_numpy()}),
        on="_pair")[["_tid", "_sindex"]]
    by_surname = by_surname.drop_duplicates()
    by_surname["exact"] = False
    return pd.concat([exact, by_surname], ignore_index=True)


def _codes(*columns: pd.Series) -> list[np.ndarray]:
    """Integer codes of the values of several columns, one code per distinct value across all of
    them (a missing value gets its own code, unlike ``pd.factorize``'s -1 which would pair up)."""
    values = np.concatenate([column.to_numpy(dtype=object) for column in columns])
    codes, _ = pd.factorize(values, use_na_sentinel=False)
    bounds = np.cumsum([0] + [len(column) for column in columns])
    return [codes[bounds[i]:bounds[i + 1]].astype(np.int64) for i in range(len(columns))]


def unmatched_names(ctx) -> pd.DataFrame:
    """The names (rows of :func:`visit_tokens`) that name no stakeholder of their project: VIS-005."""
    tokens = visit_tokens(ctx)
    return tokens[~tokens["_tid"].isin(name_matches(ctx)["_tid"])]


def effective_last_contact(ctx) -> pd.Series:
    """Each stakeholder's last contact: the later of ``last_contact`` and the latest visit (on
    or before as-of) of the same project whose 拜访对象 names that person; NaT when neither.

    Indexed like ``ledger.frames["stakeholders"]``. A visit credits a person named in full (with
    or without a title) or by a surname only one stakeholder of the project has (SPEC §7).
    """
    return ctx.shared("effective_last_contact", _effective_last_contact)


def visit_credits(ctx) -> pd.DataFrame:
    """(_sindex, visit_date) for every visit on or before as-of that credits a stakeholder (named
    in full, or by a surname nobody else on that project's map has); cached per run. The health
    model (:mod:`kaxl.sop.health`) needs every contact date, not only the latest."""
    return ctx.shared("visit_credits", _visit_credits)


def _visit_credits(ctx) -> pd.DataFrame:
    matches = name_matches(ctx)
    if matches.empty:
        return pd.DataFrame({"_sindex": pd.Series(dtype="int64"), "visit_date": pd.Series(dtype="datetime64[ns]")})
    # a surname credits a person only when it is nobody else on that project's map
    surname = matches[~matches["exact"]]
    unique = surname.groupby("_tid")["_sindex"].transform("nunique").eq(1)
    credited = pd.concat([matches[matches["exact"]], surname[unique.to_numpy()]], ignore_index=True)
    tokens = visit_tokens(ctx).set_index("_tid")
    dates = pd.to_datetime(tokens["visit_date"]).reindex(credited["_tid"].to_numpy()).to_numpy()
    out = pd.DataFrame({"_sindex": credited["_sindex"].to_numpy(), "visit_date": dates})
    out["visit_date"] = out["visit_date"].astype("datetime64[ns]")
    return out[out["visit_date"].notna() & (out["visit_date"] <= pd.Timestamp(ctx.as_of))].reset_index(drop=True)


def _effective_last_contact(ctx) -> pd.Series:
    stakeholders = ctx.ledger.frames["stakeholders"]
    last = pd.to_datetime(stakeholders["last_contact"]).astype("datetime64[ns]")
    credits = visit_credits(ctx)
    if credits.empty:
        return last.rename("effective_last_contact")
    met = pd.Series(credits["visit_date"].to_numpy(), index=credits["_sindex"].to_numpy())
    latest = met.groupby(level=0).max().reindex(stakeholders.index)
    out = pd.concat([last, latest.astype("datetime64[ns]")], axis=1).max(axis=1)
    return out.astype("datetime64[ns]").rename("effective_last_contact")
