"""Danish user-facing text (the default language)."""

TEXTS: dict[str, str] = {
    "months": "januar,februar,marts,april,maj,juni,juli,august,september,oktober,november,december",
    "app.name": "Samtaleguide",
    "greeting.personal": (
        "Hej {name}! Jeg er Samtaleguide. Jeg hjælper jer gennem udviklingssamtaler – MUS, LUS "
        "og GRUS – fra forberedelsen til den aftalte udviklingsplan. Skriv »hjælp« for at se, "
        "hvad jeg kan."
    ),
    "greeting.group": (
        "Hej alle sammen! Jeg er Samtaleguide. Jeg hjælper jer gennem jeres udviklingssamtale – "
        "fra forberedelsen til den aftalte udviklingsplan. Skriv »@Samtaleguide hjælp« for at "
        "se, hvad jeg kan."
    ),
    "help.title": "Samtaleguide – udviklingssamtaler trin for trin",
    "help.intro": (
        "Jeg guider MUS, LUS og GRUS efter kommunens koncept: ni spørgsmål i tre perspektiver "
        "(Adfærd, Struktur og Opgaver) og 33 stikord."
    ),
    "help.step1": (
        "**1. Opret samtalen** (leder): skriv »ny GRUS«, »ny MUS« eller »ny LUS«, eller brug "
        "knapperne herunder. GRUS oprettes i gruppechatten eller mødechatten."
    ),
    "help.step2": (
        "**2. Forbered jer**: alle får en privat besked fra mig med spørgsmålene og vælger "
        "præcis tre stikord. Jeres noter er private."
    ),
    "help.step3": (
        "**3. Hold samtalen**: lederen starter det fælles samtalekort i mødet (»start«), og I "
        "skriver noter og aftaler sammen."
    ),
    "help.step4": (
        "**4. Udviklingsplanen**: til sidst samler jeg jeres aftaler i udviklingsplanen og "
        "deler den med jer."
    ),
    "help.commands": "Kommandoer: »hjælp«, »ny GRUS«, »ny MUS«, »ny LUS«, »status«, »start«.",
    "help.new": "Ny {kind}",
    "unknown.text": (
        "Det forstod jeg ikke helt. Skriv »hjælp« for at se, hvad jeg kan – eller »ny GRUS«, "
        "»ny MUS« eller »ny LUS« for at oprette en samtale."
    ),
    "error.generic": (
        "Beklager, noget gik galt hos mig. Intet er gået tabt – prøv venligst igen om lidt."
    ),
    "error.storage": (
        "Jeg kan ikke gemme lige nu. Intet er gået tabt – prøv venligst igen om et øjeblik."
    ),
    "error.busy": "Mange trykker på samme tid. Prøv venligst igen.",
    "error.bad_request": "Kortet sendte noget, jeg ikke kan bruge. Intet er ændret.",
    "error.unknown_verb": "Den handling kender jeg ikke. Intet er ændret.",
    "error.not_found": "Jeg kan ikke finde den samtale. Den kan være slettet.",
    "error.not_participant": "Du deltager ikke i denne samtale, så du kan ikke gøre dette.",
    "error.not_permitted.leader": "Kun lederen kan gøre dette.",
    "error.not_permitted.facilitator": "Kun lederen eller mødelederen kan gøre dette.",
    "error.not_permitted.puslespil": "Skemaet gennemgås i rækkefølge: brug Næste og Forrige.",
    "error.wrong_phase": "Det kan ikke lade sig gøre på dette tidspunkt i samtalen.",
    "error.closed": "Samtalen er afsluttet, så intet kan ændres.",
    "error.invalid_keywords.count": "Vælg præcis tre forskellige stikord (du valgte {count}).",
    "error.invalid_keywords.unknown": "»{keyword}« er ikke et af konceptets stikord.",
    "error.invalid_field.required": "Feltet »{label}« skal udfyldes.",
    "error.invalid_field.too_long": "Feltet »{label}« må højst være {limit} tegn.",
    "error.invalid_field.type": "Feltet »{label}« har en ugyldig værdi.",
    "error.invalid_field.format": "Feltet »{label}« har et ugyldigt format.",
    "error.invalid_field.past": "Datoen i »{label}« ligger i fortiden.",
    "error.invalid_field.range": "Feltet »{label}« er uden for det tilladte interval.",
    "error.invalid_field.choice": "Vælg en af mulighederne i »{label}«.",
    "error.invalid_field.count": "»{label}«: for mange eller for få.",
    "error.unknown_item": "Det, du trykkede på, findes ikke længere.",
    "error.stale_card": "Kortet var forældet – her er det nyeste.",
    "field.kind": "Samtaletype",
    "field.participants": "Deltagere",
    "field.starts_at": "Tidspunkt",
    "field.duration": "Varighed",
    "field.variant": "Skema eller puslespil",
    "field.workplace": "Arbejdsplads",
    "field.wording": "Spørgsmålets ordlyd",
    "field.extra_question": "Ekstra spørgsmål",
    "field.focus_points": "Fokuspunkter",
    "field.co_facilitator": "Medfacilitator",
    "field.prep_note": "Forberedelsesnoter",
    "field.note": "Note",
    "field.what": "Hvad",
    "field.when": "Hvornår",
    "field.who": "Hvem",
    "field.responsible": "Ansvarlig",
    "field.follow_up": "Opfølgning",
    "field.value": "Værdi",
    "field.perspective": "Perspektiv",
    "field.question": "Spørgsmål",
    "field.name": "Navn",
    "field.agreement": "Aftaler",
    "field.keywords": "Stikord",
    "kind.MUS": "MUS – medarbejderudviklingssamtale",
    "kind.LUS": "LUS – lederudviklingssamtale",
    "kind.GRUS": "GRUS – gruppeudviklingssamtale",
    "variant.skema": "Skema",
    "variant.puslespil": "Puslespil",
    "setup.title": "Opret {kind}",
    "setup.edit_title": "Redigér {kind}",
    "setup.intro": "Udfyld opsætningen. Når du gemmer, får alle deltagere – også dig – en privat forberedelsesbesked fra mig.",
    "setup.lus_note": "Ved LUS er det lederens egen leder (leders leder), der opretter og leder samtalen.",
    "setup.participants_hint": "Vælg deltagerne (du deltager selv som leder).",
    "setup.people_picker": "Søg efter deltageren",
    "setup.date": "Dato",
    "setup.time": "Klokkeslæt",
    "setup.duration": "Varighed i minutter",
    "setup.walk": "Holdes som walk'n'talk",
    "setup.cofacilitator_none": "Ingen",
    "setup.wording_toggle": "Tilpas spørgsmålenes ordlyd",
    "setup.wording_hint": "Lad feltet stå tomt for at bruge konceptets ordlyd.",
    "setup.extra_toggle": "Tilføj arbejdspladsens egne spørgsmål",
    "setup.extra_perspective": "Perspektiv for ekstra spørgsmål {n}",
    "setup.extra_text": "Ekstra spørgsmål {n}",
    "setup.save": "Gem og send forberedelse",
    "setup.saved": "Opsætningen er gemt. Jeg sender forberedelsen til deltagerne nu.",
    "setup.saved_edit": "Ændringerne er gemt.",
    "setup.where_grus": "En GRUS oprettes i gruppechatten eller mødechatten, hvor deltagerne er med.",
    "prep.title": "Forberedelse til {kind}",
    "prep.when": "Hvornår",
    "prep.duration": "Varighed",
    "prep.minutes": "{minutes} minutter",
    "prep.leader": "Leder",
    "prep.with": "Deltagere",
    "prep.form": "Form",
    "prep.walk": "walk'n'talk",
    "prep.not_scheduled": "Tidspunktet er ikke fastlagt endnu",
    "prep.how": "Sådan forbereder du dig",
    "prep.focus": "Årets fokuspunkter",
    "prep.questions": "Spørgsmålene",
    "prep.extra": "Arbejdspladsens egne spørgsmål",
    "prep.keywords": "Vælg præcis tre stikord, som du ser som særligt vigtige for samtalen",
    "prep.notes": "Private noter – {perspective}",
    "prep.notes_hint": "Kun du kan se dine noter.",
    "prep.save": "Gem mine stikord",
    "prep.saved": "Dine stikord er gemt: {keywords}. Du kan ændre dem, indtil samtalen starter.",
    "prep.others": "Jeres stikord",
    "prep.locked": "Samtalen er startet, så stikordene kan ikke længere ændres.",
    "prep.reminder": "Påmindelse: Husk at vælge dine tre stikord til {kind} – brug kortet ovenfor i denne chat.",
    "status.title": "{kind} – forberedelse",
    "status.prepared": "✅ {name} har valgt stikord",
    "status.pending": "⏳ {name} mangler at vælge stikord",
    "status.unreachable": "⚠️ {name} kunne ikke nås. Bed {name} om at åbne Samtaleguide i Teams (Apps → Samtaleguide → Tilføj), og tryk derefter »Påmind dem, der mangler«.",
    "status.count": "{done} af {total} har valgt stikord.",
    "status.remind": "Påmind dem, der mangler",
    "status.share": "Del stikordene nu",
    "status.edit": "Redigér opsætningen",
    "status.refresh": "Opdatér",
    "status.start": "Start samtalen",
    "status.reminded": "Jeg har påmindet {count}.",
    "status.nobody": "Alle har valgt stikord.",
    "status.none": "Der er ingen aktiv samtale i denne chat. Skriv »ny GRUS«, »ny MUS« eller »ny LUS«.",
    "keywords.title": "Jeres stikord til {kind}",
    "keywords.intro": "Her er de stikord, I hver især har valgt. Sørg for, at de alle kommer i spil under samtalen.",
    "keywords.missing": "har ikke valgt endnu",
    "unreachable.title": "Nogle deltagere kunne ikke nås",
}
