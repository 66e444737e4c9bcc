"""The demo council: starts on loopback, enrols the booth, and a sealed answer syncs to it."""

from __future__ import annotations

import json

import httpx
import pytest

from booth.demo import start_demo_council
from booth.settings import Settings
from booth.store import Store
from booth.sync import seal
from booth.sync.keys import DeviceKeys, install_credential, load_credential
from booth.sync.online import say_hello
from booth.sync.uploader import Uploader, UploaderOptions
from council.decrypt import decrypt_all
from council.demo import DemoCouncilBusy
from tests.helpers.sync import finished_session


def test_demo_council_answers_hello_and_keeps_the_enrolment_across_restarts(
    settings: Settings,
) -> None:
    demo = start_demo_council(settings.paths)
    try:
        credential = load_credential(settings.paths)
        assert credential is not None and demo.installed
        assert credential.server_url == demo.url
        with httpx.Client(base_url=demo.url) as client:
            assert say_hello(client, credential).online
        first_device = credential.device_id
        first_url = demo.url
    finally:
        demo.stop()
    again = start_demo_council(settings.paths)
    try:
        credential = load_credential(settings.paths)
        assert credential is not None
        assert credential.device_id == first_device
        assert again.url == first_url  # same port when it is free
        assert len(again.storage.catalogue.list_devices()) == 1
        with httpx.Client(base_url=again.url) as client:
            assert say_hello(client, credential).online
    finally:
        again.stop()


def test_a_sealed_answer_syncs_to_the_demo_council_and_decrypts_there(
    settings: Settings,
) -> None:
    demo = start_demo_council(settings.paths)
    store = Store.open(settings.paths)
    try:
        credential = load_credential(settings.paths)
        assert credential is not None
        device = DeviceKeys.load_or_create(settings.paths)
        session_id, plains = finished_session(store, credential.recipients, videos=1)
        bundle_id = seal.seal_session(store, settings.paths, device, credential, session_id)
        options = UploaderOptions(give_up_after=1, backoff_base=0.01)
        with Uploader(store, credential, device, options=options) as uploader:
            report = uploader.run()
        assert report.committed == [bundle_id]
        assert demo.storage.catalogue.get_bundle(bundle_id) is not None
        out = settings.paths.data / "decrypted"
        decrypt_all(demo.keys, demo.storage, out)
        assert (out / bundle_id / "video-1.mp4").read_bytes() == plains[0]
    finally:
        store.close()
        demo.stop()


def test_a_booth_enrolled_elsewhere_stays_enrolled_there(settings: Settings) -> None:
    demo = start_demo_council(settings.paths)
    try:
        other_file = settings.paths.data / "other.json"
        issued = dict(demo.credential)
        issued["device_id"] = "device-of-another-council"
        other_file.write_text(json.dumps(issued), encoding="utf-8")
        install_credential(settings.paths, other_file)
    finally:
        demo.stop()
    again = start_demo_council(settings.paths)
    try:
        assert not again.installed
        credential = load_credential(settings.paths)
        assert credential is not None and credential.device_id == "device-of-another-council"
    finally:
        again.stop()


def test_a_second_booth_on_the_same_folder_does_not_steal_the_demo_council(
    settings: Settings,
) -> None:
    first = start_demo_council(settings.paths)
    try:
        with pytest.raises(DemoCouncilBusy):
            start_demo_council(settings.paths)
        credential = load_credential(settings.paths)
        assert credential is not None and credential.server_url == first.url
        with httpx.Client(base_url=first.url) as client:
            assert say_hello(client, credential).online
    finally:
        first.stop()
    start_demo_council(settings.paths).stop()
