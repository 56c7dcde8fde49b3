"""Reading a boundary file: every bad file or feature gets one sentence naming it (feature number and code) and what
is wrong; a good file's features come out checked."""

from __future__ import annotations

import json
import time

import pytest

from elections.boundary_files import DEFAULT_MAX_BOUNDARY_FILE_SIZE, max_boundary_file_size, read_boundary_file
from elections.tests.geojson import (
    collection,
    feature,
    north_and_south,
    point,
    polygon,
    square,
    wiggly_ring,
)

GOOD = polygon(square(35.9, 31.9, 0.05))
BOW_TIE = polygon([[35.9, 31.9], [36.0, 32.0], [36.0, 31.9], [35.9, 32.0], [35.9, 31.9]])

BAD_FILES = {
    "invalid JSON": (
        b'{"type": "FeatureCollection", "features": [',
        "The file is not valid JSON: Expecting value (line 1, column 44).",
    ),
    "not UTF-8": (b'{"type": "FeatureCollection", "name": "\xff"}', "The file is not UTF-8 text, as GeoJSON must be."),
    "empty": (b"  \n", "The file is empty."),
    "a bare feature": (
        json.dumps(feature("N", GOOD)).encode(),
        "The file is not a GeoJSON FeatureCollection (its type is “Feature”).",
    ),
    "no features": (collection(), "The file holds no features."),
    "features not a list": (
        json.dumps({"type": "FeatureCollection", "features": {"a": 1}}).encode(),
        "The file's “features” is not a list.",
    ),
    "a projected crs": (
        collection(feature("N", GOOD), crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32636"}}),
        "The file names the coordinate system “urn:ogc:def:crs:EPSG::32636”. VoteTracker reads WGS84 longitude and "
        "latitude only (EPSG:4326, CRS84): export the file again in WGS84.",
    ),
    "metres instead of degrees": (
        collection(feature("N", polygon(square(500000, 3530000, 1000)))),
        "Feature 1 (code “N”): its coordinates (500000, 3530000) are outside longitude −180…180 and latitude −90…90: "
        "the file is in another coordinate system (projected, in metres, for example). Export it again in WGS84 "
        "longitude and latitude (EPSG:4326).",
    ),
    "a station in metres": (
        collection(feature("N", GOOD), feature("N-001", point(712000.5, 3540000))),
        "Feature 2 (code “N-001”): its coordinates (712000.5, 3540000) are outside longitude −180…180 and latitude "
        "−90…90: the file is in another coordinate system (projected, in metres, for example). Export it again in "
        "WGS84 longitude and latitude (EPSG:4326).",
    ),
    "a ring not closed": (
        collection(feature("N", GOOD), feature("S", polygon(square(35.9, 31.85, 0.05)[:-1]))),
        "Feature 2 (code “S”): ring 1 is not closed: its last position must repeat its first.",
    ),
    "a ring too short": (
        collection(feature("N", polygon([[35.9, 31.9], [36.0, 31.9], [35.9, 31.9]]))),
        "Feature 1 (code “N”): ring 1 has 3 positions; a ring needs at least 4, the last repeating the first.",
    ),
    "a self-intersecting ring": (
        collection(feature("N", BOW_TIE)),
        "Feature 1 (code “N”): ring 1 crosses itself (its segments 1 and 3).",
    ),
    "a hole crossing itself in a multipolygon": (
        collection(
            feature(
                "N",
                {
                    "type": "MultiPolygon",
                    "coordinates": [[square(35.0, 31.0, 0.1)], [square(35.9, 31.9, 0.5), BOW_TIE["coordinates"][0]]],
                },
            )
        ),
        "Feature 1 (code “N”): ring 2 of polygon 2 crosses itself (its segments 1 and 3).",
    ),
    "non-numeric coordinates": (
        collection(
            feature(
                "N", {"type": "Polygon", "coordinates": [[[35.9, 31.9], ["36.0", 31.9], [36.0, 32.0], [35.9, 31.9]]]}
            )
        ),
        "Feature 1 (code “N”): ring 1 has coordinates that are not numbers: each position must be [longitude, "
        "latitude].",
    ),
    "a line instead of an area": (
        collection(feature("N", {"type": "LineString", "coordinates": [[35.9, 31.9], [36.0, 32.0]]})),
        "Feature 1 (code “N”): its geometry is a LineString; a district's boundary is a Polygon or MultiPolygon, a "
        "polling station's position a Point.",
    ),
    "no geometry": (collection(feature("N", None)), "Feature 1 (code “N”): it has no geometry."),
    "no code": (
        collection(feature(None, GOOD, name="North")),
        "Feature 1 has no code: give it a “code” property, or name the property that holds codes.",
    ),
    "a code given twice": (
        collection(feature("N", GOOD), feature("N", polygon(square(35.0, 31.0, 0.1)))),
        "Feature 2 (code “N”): feature 1 already gives this district's boundary.",
    ),
    "not a feature": (collection({"type": "Polygon", "coordinates": []}), "Feature 1 is not a GeoJSON Feature."),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_each_kind_of_bad_file_is_named_with_what_is_wrong(kind: str) -> None:
    content, message = BAD_FILES[kind]
    found = read_boundary_file(content)
    assert found.problems == [message]


def test_every_bad_feature_of_a_file_is_named_not_only_the_first() -> None:
    content = collection(
        feature("N", GOOD),
        feature("S", BOW_TIE),
        feature("E", polygon(square(35.9, 31.85, 0.05)[:-1])),
        feature("W", polygon(square(900000, 31.0, 0.05))),
    )
    problems = read_boundary_file(content).problems
    assert [problem.split(":")[0] for problem in problems] == [
        "Feature 2 (code “S”)",
        "Feature 3 (code “E”)",
        "Feature 4 (code “W”)",
    ]


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(settings) -> None:
    assert max_boundary_file_size() == DEFAULT_MAX_BOUNDARY_FILE_SIZE
    settings.BOUNDARY_FILE_MAX_BYTES = 1024
    content = collection(feature("N", polygon(wiggly_ring(35.9, 31.9, 0.05, 40))))
    assert len(content) > 1024
    assert read_boundary_file(content).problems == [
        "The file is larger than 1.0\xa0KB, the most a boundary file may be. Simplify the boundaries first."
    ]


def test_a_good_file_gives_its_areas_and_points_rounded_to_seven_decimals() -> None:
    found = read_boundary_file(north_and_south())
    assert found.problems == []
    assert [(area.number, area.code) for area in found.areas] == [(1, "N"), (2, "S")]
    assert found.areas[0].shape == [[[(35.9, 31.95), (35.95, 31.95), (35.95, 32.0), (35.9, 32.0), (35.9, 31.95)]]]
    assert [(p.number, p.code, p.longitude, p.latitude) for p in found.points] == [(3, "N-001", 35.925, 31.975)]


@pytest.mark.parametrize("crs", ["urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326", "urn:ogc:def:crs:EPSG::4326"])
def test_a_crs_naming_wgs84_is_accepted(crs: str) -> None:
    content = collection(feature("N", GOOD), crs={"type": "name", "properties": {"name": crs}})
    assert read_boundary_file(content).problems == []


def test_codes_come_from_the_property_the_form_names_or_the_usual_ones_in_any_case() -> None:
    content = collection(
        {"type": "Feature", "properties": {"WARD_ID": "N", "DISTRICT_CODE": "x"}, "geometry": GOOD},
        {"type": "Feature", "id": "S", "properties": {}, "geometry": polygon(square(35.9, 31.85, 0.05))},
    )
    assert [area.code for area in read_boundary_file(content).areas] == ["x", "S"]
    named = read_boundary_file(content, code_property="ward_id")
    assert [area.code for area in named.areas] == ["N"]
    assert named.problems == ["Feature 2 has no “ward_id” property."]


def test_a_county_file_of_a_few_thousand_positions_is_read_in_well_under_a_second() -> None:
    features = [
        feature(f"D{row}{column}", polygon(wiggly_ring(35 + column * 0.1, 31 + row * 0.1, 0.1, 150)))
        for row in range(4)
        for column in range(4)
    ]
    content = collection(*features)
    started = time.perf_counter()
    found = read_boundary_file(content)
    elapsed = time.perf_counter() - started
    assert found.problems == []
    assert sum(len(area.shape[0][0]) for area in found.areas) == 16 * 601
    assert elapsed < 1.0, elapsed
